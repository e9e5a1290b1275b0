"""The model stub as a process of its own, as editor end-to-end tests start it."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tandem.core.model import ModelClient
from tandem.core.settings import ModelSettings

ROOT = Path(__file__).resolve().parents[3]


def _post(url: str, payload: dict[str, Any]) -> Any:
    request = urllib.request.Request(
        url, json.dumps(payload).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.load(response)


@pytest.fixture
def stub_process(tmp_path: Path) -> Iterator[str]:
    url_file = tmp_path / "url"
    command = [sys.executable, "-m", "tests.support.model_stub", "--url-file", str(url_file)]
    process = subprocess.Popen(command, cwd=ROOT, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 10
        while not url_file.exists():
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert time.monotonic() < deadline, "the stub never wrote its URL"
            time.sleep(0.02)
        yield url_file.read_text()
    finally:
        process.terminate()
        assert process.wait(timeout=5) == 0
        assert process.stderr is not None
        assert "model stub listening on http://127.0.0.1:" in process.stderr.read()


async def test_a_stub_process_is_scripted_over_http(stub_process: str) -> None:
    root = stub_process.removesuffix("/v1")
    queued = _post(
        f"{root}/_stub/script",
        {"behaviours": [{"type": "reply", "chunks": ["from ", "a process"]}]},
    )
    assert queued == {"queued": 1}
    client = ModelClient(ModelSettings(baseUrl=stub_process, name="stub-model"))
    result = await client.stream_chat([{"role": "user", "content": "hi"}], lambda _d: None)
    await client.close()
    assert result.text == "from a process"
    with urllib.request.urlopen(f"{root}/_stub/requests", timeout=5) as response:
        requests = json.load(response)["requests"]
    assert [r["path"] for r in requests] == ["/v1/chat/completions"]
    assert requests[0]["body"]["messages"] == [{"role": "user", "content": "hi"}]


def test_embeddings_can_be_asked_for_as_base64(stub_process: str) -> None:
    """openai's default encoding when none is named: little-endian float32."""
    import base64
    import struct

    as_floats = _post(f"{stub_process}/embeddings", {"model": "e", "input": ["a b c"]})
    as_base64 = _post(
        f"{stub_process}/embeddings",
        {"model": "e", "input": "a b c", "encoding_format": "base64"},
    )
    raw = base64.b64decode(as_base64["data"][0]["embedding"])
    decoded = list(struct.unpack(f"<{len(raw) // 4}f", raw))
    assert decoded == pytest.approx(as_floats["data"][0]["embedding"], abs=1e-6)
