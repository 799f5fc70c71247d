"""Serve mode: watch configs and serve the outputs folder on localhost, reloading open pages after each render.

The files on disk stay exactly as `run` writes them: the reload script is added only to the HTML
this server sends. Only regular files inside the outputs folder are served (no '..', no links,
GET and HEAD only), from 127.0.0.1 unless the caller binds elsewhere.
"""

from __future__ import annotations

import mimetypes
import os
import re
import threading
from collections.abc import Callable, Sequence
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from ..errors import UnsafePathError, UsageError
from ..names import INDEX
from ..output.gallery import build_waiting_page
from ..output.nofollow import inside_file, read_untrusted
from .plan import Outcome
from .watch import watch

RELOAD_PATH = "/__apsim-batch__/reload"  # the long-poll endpoint; no render can take this name
_POLL_S = 25.0  # a long poll answers at least this often, so a closed tab frees its thread
_MAX_FILE_BYTES = 1 << 30
_RANGE = re.compile(r"bytes=(\d*)-(\d*)\Z")
# Waits for a version other than the one the page was served at, then reloads; on an error (the
# server stopped) it tries again each second. Added to served pages only, never to files on disk.
_RELOAD_SCRIPT = (
    "<script>/* apsim-batch serve: reload when a render finishes */(function(){{var v={version};"
    'function poll(){{fetch("' + RELOAD_PATH + '?v="+v,{{cache:"no-store"}}).then(function(r){{return r.text();}})'
    ".then(function(t){{if(t!==String(v))location.reload();else poll();}},function(){{setTimeout(poll,1000);}});}}"
    "poll();}})();</script>"
)


class ReloadSignal:
    """A version number that goes up after each render; long polls wait for it to move."""

    def __init__(self) -> None:
        self.version = 0
        self.closed = False
        self._changed = threading.Condition()

    def bump(self) -> None:
        with self._changed:
            self.version += 1
            self._changed.notify_all()

    def close(self) -> None:
        with self._changed:
            self.closed = True
            self._changed.notify_all()

    def wait_past(self, version: int, timeout_s: float) -> int:
        """The current version, once it differs from `version`, the server closes, or `timeout_s` passes."""
        with self._changed:
            self._changed.wait_for(lambda: self.version != version or self.closed, timeout=timeout_s)
            return self.version


def with_reload_script(page: bytes, version: int) -> bytes:
    """The page with the reload script just before its last </body> (or at the end)."""
    script = _RELOAD_SCRIPT.format(version=version).encode("utf-8")
    at = page.lower().rfind(b"</body>")
    return page + script if at < 0 else page[:at] + script + page[at:]


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The (first, last) byte one `Range: bytes=A-B` header asks for, clipped to the file (video players
    seek with it); None means the whole file: no header, several ranges, or none of the file's bytes."""
    found = _RANGE.match(header or "")
    if found is None or found[1] == found[2] == "":
        return None
    if found[1] == "":  # bytes=-N: the last N bytes
        first, last = size - int(found[2]), size - 1
    else:
        first, last = int(found[1]), min(int(found[2] or size - 1), size - 1)
    return (max(first, 0), last) if max(first, 0) <= last else None


def _relative(url_path: str) -> str:
    """The path inside the outputs folder a URL names ('' for the top, folders end in '/')."""
    return unquote(url_path).lstrip("/")


class _Handler(BaseHTTPRequestHandler):
    server: GalleryServer
    server_version = "apsim-batch-serve"

    def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
        self._answer(body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._answer(body=False)

    def log_message(self, format: str, *args: object) -> None:  # requests are not worth a line each
        pass

    def _answer(self, *, body: bool) -> None:
        url = urlsplit(self.path)
        if url.path == RELOAD_PATH:
            self._long_poll(url.query, body)
            return
        relative = _relative(url.path)
        if relative == "" or relative.endswith("/"):
            relative += INDEX
        out_dir = self.server.out_dir
        found = inside_file(out_dir, relative)
        if found is None and inside_file(out_dir, f"{relative}/{INDEX}") is not None:
            self._send(HTTPStatus.MOVED_PERMANENTLY, b"", "text/plain", body, {"Location": url.path + "/"})
            return
        if found is None and relative == INDEX:  # the first run is still rendering
            page = with_reload_script(build_waiting_page(str(out_dir)).encode("utf-8"), self.server.signal.version)
            self._send(HTTPStatus.SERVICE_UNAVAILABLE, page, "text/html; charset=utf-8", body)
            return
        try:
            data = read_untrusted(found, _MAX_FILE_BYTES) if found is not None else None
        except (OSError, UnsafePathError):  # replaced or removed while we looked
            data = None
        if data is None:
            self._send(HTTPStatus.NOT_FOUND, b"not found in the outputs folder\n", "text/plain", body)
            return
        kind = mimetypes.guess_type(relative)[0] or "application/octet-stream"
        if kind == "text/html":
            data, kind = with_reload_script(data, self.server.signal.version), "text/html; charset=utf-8"
        span = byte_range(self.headers.get("Range"), len(data))
        if span is None:
            self._send(HTTPStatus.OK, data, kind, body, {"Accept-Ranges": "bytes"})
            return
        part = {"Content-Range": f"bytes {span[0]}-{span[1]}/{len(data)}"}
        self._send(HTTPStatus.PARTIAL_CONTENT, data[span[0] : span[1] + 1], kind, body, part)

    def _long_poll(self, query: str, body: bool) -> None:
        seen = parse_qs(query).get("v", [""])[0]
        version = int(seen) if seen.isdigit() else -1
        now = self.server.signal.wait_past(version, _POLL_S)
        self._send(HTTPStatus.OK, str(now).encode("ascii"), "text/plain", body)

    def _send(
        self, status: HTTPStatus, data: bytes, kind: str, body: bool, extra: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")  # a reload must show the new render
        self.send_header("X-Content-Type-Options", "nosniff")
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if body:
            self.wfile.write(data)


class GalleryServer(ThreadingHTTPServer):
    """An HTTP server of one outputs folder; each request runs in its own (daemon) thread."""

    daemon_threads = True

    def __init__(self, out_dir: Path, host: str = "127.0.0.1", port: int = 8000) -> None:
        self.out_dir = out_dir
        self.signal = ReloadSignal()
        try:
            super().__init__((host, port), _Handler)
        except OSError as exc:
            hint = "choose another --port, or --port 0 for any free one"
            raise UsageError(f"cannot serve on {host}:{port}: {exc.strerror or exc} ({hint})") from None

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/"

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self.signal.close()  # open long polls answer now
        self.shutdown()
        self.server_close()


def serve(
    paths: Sequence[str | os.PathLike[str]],
    out: str | os.PathLike[str] = "outputs",
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    formats: Sequence[str] | None = None,
    on_outcome: Callable[[Outcome], None] | None = None,
    echo: Callable[[str], None] = print,
    interval_s: float = 0.5,
) -> None:
    """Serve `out` on http://host:port/ and re-render each config when it is saved (see watch);
    open gallery pages reload after each run. Runs until interrupted (KeyboardInterrupt to the caller)."""
    for path in paths:
        if not Path(path).exists():
            raise UsageError(f"{path}: no such file or folder")
    server = GalleryServer(Path(out), host, port)
    server.start()
    try:
        echo(f"serving {out} at {server.url} (pages reload after each render)")
        watch(
            paths,
            out,
            formats=formats,
            on_outcome=on_outcome,
            echo=echo,
            interval_s=interval_s,
            on_render=server.signal.bump,
        )
    finally:
        server.stop()
