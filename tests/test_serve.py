"""Serve mode: files only from inside the outputs folder, the reload script only in served pages,
and, in real Chromium, an open gallery that reloads with the new render after a config is saved."""

from __future__ import annotations

import http.client
import os
import queue
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest

from apsim_batch.batch.serve import RELOAD_PATH, GalleryServer, byte_range, with_reload_script
from apsim_batch.errors import UsageError

from .conftest import ROOT, write
from .test_gallery import BROWSER_ARGS, CHROMIUM, _browser
from .test_watch import bump, config

CSV = b"t_ms,v_mv\n0,-70\n"
PAGE = b"<!doctype html>\n<html><body><p>hi</p></body></html>\n"


@pytest.fixture
def served(tmp_path):
    """A server of a small outputs folder (with a link out of it and a secret beside it), stopped after."""
    out = tmp_path / "outputs"
    write(out / "index.html", PAGE.decode())
    write(out / "a" / "a.csv", CSV.decode())
    write(out / "quiz" / "handouts" / "index.html", PAGE.decode())
    write(tmp_path / "secret.txt", "do not serve")
    (out / "link.txt").symlink_to(tmp_path / "secret.txt")
    (out / "linked").symlink_to(tmp_path, target_is_directory=True)
    server = GalleryServer(out, port=0)
    server.start()
    yield server
    server.stop()


def get(server: GalleryServer, path: str, method: str = "GET", timeout_s: float = 10) -> tuple[int, dict, bytes]:
    host, port = server.server_address[:2]
    conn = http.client.HTTPConnection(host, port, timeout=timeout_s)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)  # the path goes out as written, '..' and all
        conn.endheaders()
        answer = conn.getresponse()
        return answer.status, dict(answer.getheaders()), answer.read()
    finally:
        conn.close()


def test_pages_get_the_reload_script_and_the_files_on_disk_stay_as_written(served):
    status, headers, body = get(served, "/")
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    assert RELOAD_PATH.encode() in body and body.index(b"<script>") < body.rindex(b"</body>")
    assert int(headers["Content-Length"]) == len(body) and headers["Cache-Control"] == "no-store"
    assert (served.out_dir / "index.html").read_bytes() == PAGE  # the script is in the answer only
    assert get(served, "/quiz/handouts/")[2] == body
    status, headers, body = get(served, "/a/a.csv")
    assert status == 200 and body == b"t_ms,v_mv\n0,-70\n" and headers["Content-Type"] == "text/csv"


@pytest.mark.parametrize(
    "path",
    [
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/a/../../secret.txt",
        "/link.txt",
        "/linked/secret.txt",
        "//etc/passwd",
        "/%2Fetc%2Fpasswd",
        "/a%5C..%5C..%5Csecret.txt",
        "/missing.png",
        "/a/a.csv%00.png",
    ],
)
def test_nothing_outside_the_outputs_folder_is_served(served, path):
    status, _, body = get(served, path)
    assert status == 404 and b"do not serve" not in body and b"root:" not in body


def test_only_get_and_head(served):
    status, headers, body = get(served, "/a/a.csv", method="HEAD")
    assert status == 200 and body == b"" and headers["Content-Length"] == "16"
    for method in ("POST", "PUT", "DELETE"):
        assert get(served, "/a/a.csv", method=method)[0] == 501
    assert (served.out_dir / "a" / "a.csv").is_file()


def test_a_range_request_gets_those_bytes_so_videos_can_seek(served):
    host, port = served.server_address[:2]
    for asked, status, expected in [("bytes=0-3", 206, b"t_ms"), ("bytes=-4", 206, b"-70\n"), ("bytes=99-", 200, None)]:
        conn = http.client.HTTPConnection(host, port, timeout=10)
        conn.request("GET", "/a/a.csv", headers={"Range": asked})
        answer = conn.getresponse()
        got = answer.read()
        conn.close()
        assert answer.status == status and got == (expected or CSV)


@pytest.mark.parametrize("seed", range(40))
def test_byte_range_is_python_slicing_of_the_file(seed):
    """Whatever a client asks, the answer is a non-empty slice inside the file, or the whole file."""
    rng = random.Random(seed)
    size = rng.randrange(0, 50)
    for _ in range(50):
        a, b = rng.choice(["", str(rng.randrange(0, 60))]), rng.choice(["", str(rng.randrange(0, 60))])
        header = rng.choice([f"bytes={a}-{b}", f"bytes={a}-{b},0-1", f"items={a}-{b}", ""])
        span = byte_range(header, size)
        if span is None:
            continue
        first, last = span
        assert 0 <= first <= last < size and header.startswith("bytes=") and "," not in header
        if a:
            assert first == int(a) and last == min(int(b), size - 1) if b else last == size - 1
        else:
            assert (first, last) == (max(size - int(b), 0), size - 1)


def test_a_folder_without_its_slash_is_redirected(served):
    status, headers, _ = get(served, "/quiz/handouts")
    assert status == 301 and headers["Location"] == "/quiz/handouts/"


def test_before_the_first_gallery_a_waiting_page_reloads(tmp_path):
    server = GalleryServer(tmp_path / "not-yet", port=0)
    server.start()
    try:
        status, _, body = get(server, "/")
    finally:
        server.stop()
    assert status == 503 and b"this page reloads when the gallery is written" in body and RELOAD_PATH.encode() in body


def test_a_long_poll_answers_when_a_render_finishes(served):
    answers: queue.Queue = queue.Queue()
    thread = threading.Thread(target=lambda: answers.put(get(served, f"{RELOAD_PATH}?v=0")))
    thread.start()
    time.sleep(0.3)
    assert answers.empty()  # still waiting: nothing rendered yet
    served.signal.bump()
    status, _, body = answers.get(timeout=5)
    assert status == 200 and body == b"1"
    assert get(served, f"{RELOAD_PATH}?v=0")[2] == b"1"  # a page served before the render reloads at once


def test_binds_to_localhost_and_says_when_the_port_is_taken(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(UsageError, match=rf"cannot serve on 127.0.0.1:{port}: .*--port 0 for any free one"):
            GalleryServer(tmp_path, port=port)
    server = GalleryServer(tmp_path, port=0)
    try:
        assert server.server_address[0] == "127.0.0.1" and re.fullmatch(r"http://127\.0\.0\.1:\d+/", server.url)
    finally:
        server.server_close()


def _random_pages(count: int, seed: int = 24) -> list[bytes]:
    """Pages stitched from pieces that matter to the insertion: body ends in any case, text, UTF-8."""
    pieces = [b"</body>", b"</BODY>", b"</Body >", b"<body>", b"<p>", "é".encode(), b"x", b"\n", b"</script>"]
    rng = random.Random(seed)
    return [b"".join(rng.choice(pieces) for _ in range(rng.randrange(0, 12))) for _ in range(count)]


@pytest.mark.parametrize("page", [PAGE, b"", b"no body tag", b"<BODY>a</BODY>x</body>tail", *_random_pages(200)])
def test_the_script_goes_before_the_last_body_end_and_nothing_else_changes(page):
    served = with_reload_script(page, 7)
    start = served.index(b"<script>/* apsim-batch serve")
    script = served[start : served.index(b"</script>", start) + len(b"</script>")]
    assert served[:start] + served[start + len(script) :] == page and b"var v=7;" in script
    last = page.lower().rfind(b"</body>")
    assert start == (len(page) if last < 0 else last)  # before the last </body>, or at the end without one


def _lines(stream, into: queue.Queue) -> None:
    for line in stream:
        into.put(line)


def _wait_for(lines: queue.Queue, pattern: str, seen: list[str], timeout_s: float) -> re.Match:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            seen.append(lines.get(timeout=0.2))
        except queue.Empty:
            continue
        if found := re.search(pattern, seen[-1]):
            return found
    raise AssertionError(f"no line matching {pattern!r} within {timeout_s} s; got {seen}")


@pytest.mark.slow
def test_an_open_gallery_reloads_with_the_new_render_after_a_save(tmp_path):
    """The real entry point in real Chromium: open the page, save a config, see the new render within 30 s."""
    sync = _browser()
    cfg = write(tmp_path / "configs" / "a.yaml", config(title="Before the save"))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1", "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "apsim_batch", "serve", "--port", "0", "--interval", "0.1"]
    proc = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: queue.Queue = queue.Queue()
    reader = threading.Thread(target=_lines, args=(proc.stdout, lines), daemon=True)
    reader.start()
    seen: list[str] = []
    try:
        url = _wait_for(lines, r"at (http://127\.0\.0\.1:\d+/)", seen, 30)[1]
        _wait_for(lines, r"^watching 1 config", seen, 60)  # the first render is done
        with sync.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
            try:
                page = browser.new_page()
                page.goto(url, wait_until="load")
                assert page.inner_text("h3") == "Before the save"
                page.evaluate("window.servedBefore = true")  # gone once the page has reloaded
                poster = page.get_attribute(".card img", "src")
                started = time.monotonic()
                bump(cfg, config(title="After the save"))
                page.wait_for_function(
                    "!window.servedBefore && document.querySelector('h3')?.textContent === 'After the save'",
                    timeout=30_000,
                )
                assert time.monotonic() - started < 30
                assert page.evaluate(f"fetch('{poster}').then(r => r.status)") == 200
            finally:
                browser.close()
        on_disk = (tmp_path / "outputs" / "index.html").read_text(encoding="utf-8")
        assert "After the save" in on_disk and RELOAD_PATH not in on_disk
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
    finally:
        proc.kill()
        reader.join(timeout=10)
        proc.stdout.close()
    while not lines.empty():
        seen.append(lines.get_nowait())
    output = "".join(seen)
    assert proc.returncode == 0, output
    assert output.rstrip().endswith("stopped serving")


def test_serve_command_refuses_a_missing_path_and_a_taken_port_in_one_line(cli, tmp_path):
    code, _, err = cli("serve", "nowhere", cwd=tmp_path)
    assert code == 2 and err.strip() == "Error: nowhere: no such file or folder"
    write(tmp_path / "configs" / "a.yaml", config())
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, _, err = cli("serve", "--port", port, cwd=tmp_path)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert err.startswith(f"Error: cannot serve on 127.0.0.1:{port}: ") and "Traceback" not in err
    assert not (tmp_path / "outputs").exists()  # nothing rendered when it cannot serve
