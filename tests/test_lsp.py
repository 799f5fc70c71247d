"""The editor experience, for real: yaml-language-server (npm) driven over LSP against our schema.

The server is the one VS Code's YAML extension, Neovim and Helix run. It is installed with npm
into a cache folder on first use (.ci/run makes sure npm is there; without npm the tests skip,
except in CI, where they fail). Each config is opened as an editor opens it, and the server finds
the schema through the config's own first line (`# yaml-language-server: $schema=...`).
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from .conftest import CONFIGS, ROOT

pytestmark = pytest.mark.slow  # drives yaml-language-server (Node.js) over stdio

SERVER_VERSION = "1.25.0"
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "apsim-batch" / "yaml-language-server"
SHIPPED = sorted(CONFIGS.rglob("*.yaml"))
SETTINGS = {"yaml": {"validate": True, "hover": True, "completion": True, "schemaStore": {"enable": False}}}


def server_command() -> list[str]:
    folder = CACHE / SERVER_VERSION
    binary = folder / "node_modules" / ".bin" / "yaml-language-server"
    if not binary.exists():
        npm = shutil.which("npm")
        if npm is None or shutil.which("node") is None:
            if os.environ.get("CI"):
                pytest.fail("npm and node are needed for the editor tests in CI (.ci/run installs them)")
            pytest.skip("npm is not installed, so yaml-language-server cannot be installed for the editor tests")
        folder.mkdir(parents=True, exist_ok=True)
        proc = subprocess.run(
            [
                npm,
                "install",
                "--no-audit",
                "--no-fund",
                "--prefix",
                str(folder),
                f"yaml-language-server@{SERVER_VERSION}",
            ],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert proc.returncode == 0, proc.stderr[-2000:]
    return [str(binary), "--stdio"]


class Client:
    """A minimal LSP client over stdio: Content-Length framed JSON-RPC, answering the server's requests."""

    def __init__(self, command: list[str], root: Path):
        self.proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.messages: queue.Queue[dict[str, Any]] = queue.Queue()
        self.next_id = 0
        self.diagnostics: dict[str, list[dict[str, Any]]] = {}
        self.published: dict[str, int] = {}
        threading.Thread(target=self._read, daemon=True).start()
        result = self.request(
            "initialize",
            {
                "processId": os.getpid(),
                "rootUri": root.as_uri(),
                "workspaceFolders": [{"uri": root.as_uri(), "name": "configs"}],
                "capabilities": {
                    "textDocument": {
                        "hover": {"contentFormat": ["markdown", "plaintext"]},
                        "publishDiagnostics": {},
                        "synchronization": {"didSave": True},
                    },
                    "workspace": {"configuration": True, "workspaceFolders": True},
                },
            },
        )
        assert result["capabilities"]["hoverProvider"]
        self.notify("initialized", {})
        self.notify("workspace/didChangeConfiguration", {"settings": SETTINGS})

    def _read(self) -> None:
        stream = self.proc.stdout
        while True:
            length = 0
            while (line := stream.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            if not line:
                return
            self.messages.put(json.loads(stream.read(length)))

    def _send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode("utf-8")
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def notify(self, method: str, params: Any) -> None:
        self._send({"method": method, "params": params})

    def request(self, method: str, params: Any, timeout_s: float = 30) -> Any:
        self.next_id += 1
        wanted = self.next_id
        self._send({"id": wanted, "method": method, "params": params})
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            message = self._next(deadline)
            if message is not None and message.get("id") == wanted and "method" not in message:
                assert "error" not in message, message["error"]
                return message.get("result")
        raise TimeoutError(f"no answer to {method}")

    def _next(self, deadline: float) -> dict[str, Any] | None:
        try:
            message = self.messages.get(timeout=max(0.01, deadline - time.monotonic()))
        except queue.Empty:
            return None
        method = message.get("method")
        if method and "id" in message:  # the server asks us something: settings, registrations, progress
            items = message.get("params", {}).get("items", [])
            answer: Any = [SETTINGS.get(item.get("section", ""), SETTINGS["yaml"]) for item in items] or None
            if method == "workspace/configuration":
                answer = [SETTINGS["yaml"] if item.get("section") == "yaml" else None for item in items]
            self._send({"id": message["id"], "result": answer})
        elif method == "textDocument/publishDiagnostics":
            uri = message["params"]["uri"]
            self.diagnostics[uri] = message["params"]["diagnostics"]
            self.published[uri] = self.published.get(uri, 0) + 1
        return message

    def open(self, path: Path, text: str, settle_s: float = 0.6) -> list[dict[str, Any]]:
        """Open a document as an editor does; return the diagnostics once the server has settled."""
        uri = path.as_uri()
        self.notify(
            "textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "yaml", "version": 1, "text": text}}
        )
        deadline = time.monotonic() + 30
        while uri not in self.published and time.monotonic() < deadline:
            self._next(deadline)
        quiet_until = time.monotonic() + settle_s  # a later publish (the schema loaded) replaces the first
        while time.monotonic() < quiet_until:
            self._next(quiet_until)
        assert uri in self.published, f"no diagnostics for {path.name}"
        return self.diagnostics[uri]

    def hover(self, path: Path, line: int, character: int) -> str:
        result = self.request(
            "textDocument/hover",
            {"textDocument": {"uri": path.as_uri()}, "position": {"line": line, "character": character}},
        )
        contents = (result or {}).get("contents", "")
        return contents.get("value", "") if isinstance(contents, dict) else str(contents)

    def close(self) -> None:
        try:
            self.request("shutdown", None, timeout_s=5)
            self.notify("exit", None)
            self.proc.wait(5)
        except (TimeoutError, OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait(5)
        self.proc.stdin.close()
        self.proc.stdout.close()


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    """A project as a teacher has it: the schema at the root, the shipped configs under configs/."""
    root = tmp_path_factory.mktemp("editor")
    shutil.copy(ROOT / "apsim-batch.schema.json", root)
    shutil.copytree(CONFIGS, root / "configs")
    return root


@pytest.fixture(scope="module")
def client(workspace):
    running = Client(server_command(), workspace)
    yield running
    running.close()


def errors(diagnostics: list[dict[str, Any]]) -> list[str]:
    return [f"{d['range']['start']['line'] + 1}: {d['message']}" for d in diagnostics if d.get("severity", 1) <= 2]


def test_every_shipped_config_is_clean_in_the_editor(client, workspace):
    for path in sorted((workspace / "configs").rglob("*.yaml")):
        assert errors(client.open(path, path.read_text(encoding="utf-8"))) == [], path.name
    assert len(SHIPPED) >= 10


HEADER = "# yaml-language-server: $schema=../apsim-batch.schema.json\n"
BROKEN = {
    "typo.yaml": ("waveform:\n  components:\n    - {center_ms: 1, widht_ms: 0.1, amplitude_mv: 100}\n", 4, "widht_ms"),
    "range.yaml": ("waveform:\n  samples: 1\n", 3, "minimum of 2"),
    "step.yaml": (
        "variants:\n  mode: grid\n  fields:\n    waveform.resting_mv: {min: -80, max: -60, step: -5}\n",
        5,
        "exclusive minimum of 0",
    ),
    "colour.yaml": ("plot:\n  line_color: #1f77b4\n", 3, 'Incorrect type. Expected "string"'),
    "height.yaml": (
        "waveform:\n  components:\n    - {center_ms: 1, width_ms: 0.1, amplitude_mv: 5000}\n",
        4,
        "maximum of 1000",
    ),
    "odd.yaml": ("plot:\n  width_px: 641\n", 3, "divisible by 2"),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_configs_are_underlined_where_the_mistake_is(client, workspace, name):
    text, line, words = BROKEN[name]
    found = errors(client.open(workspace / "configs" / name, HEADER + text))
    assert any(message.startswith(f"{line}: ") and words in message for message in found), found


def test_a_waveform_of_the_wrong_type_names_the_models_in_words(client, workspace):
    found = errors(client.open(workspace / "configs" / "empty_waveform.yaml", HEADER + "waveform: 3\n"))
    assert found, "an invalid waveform was accepted"
    text = " ".join(found)
    from apsim_batch.trace.models import MODELS

    assert "model: " in text and all(name in text for name in MODELS), found  # every model, by its config name
    assert "Waveform" not in text and "Experiment" not in text, found  # never a Python class name


def test_hover_shows_description_unit_default_and_range(client, workspace):
    path = workspace / "configs" / "hover.yaml"
    text = (
        HEADER
        + "waveform:\n  resting_mv: -65\nplot:\n  width_px: 800\nvariants:\n  mode: grid\n  fields:\n    waveform.resting_mv: {min: -80, max: -60, step: 5}\n"
    )
    client.open(path, text)
    resting = client.hover(path, 2, 4)
    assert "Resting membrane potential, in mV." in resting
    assert "Unit: mV" in resting and "Default: `-70`" in resting and "Allowed: ≥ -1000, ≤ 1000" in resting, resting
    assert "GaussianWaveform" not in resting
    width = client.hover(path, 4, 4)
    assert "Default: `640`" in width and "Allowed: ≥ 160, ≤ 3840, even" in width, width
    step = client.hover(path, 8, 48)
    assert "Allowed: > 0, ≤ 1000000" in step, step
