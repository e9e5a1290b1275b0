"""The VS Code extension in a real VS Code (code-server), driven by Chromium.

The scenario itself is a node:test file, ``editor-clients/vscode/test/e2e/``; this test
prepares what it needs (npm packages, the packaged .vsix, node 24 + code-server in
``editor-clients/vscode/.e2e/``) and runs it against the real server
(``python -m tandem serve`` from this interpreter) and the HTTP model stub.
Screenshots and logs go to ``test-artifacts/vscode/``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.vscode, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[3]
EXTENSION = ROOT / "editor-clients" / "vscode"
ARTIFACTS = ROOT / "test-artifacts" / "vscode"
CHROMIUM = Path(os.environ.get("TANDEM_CHROMIUM", "/usr/bin/chromium"))
VSIX = EXTENSION / "tandem-vscode.vsix"


def _run(cmd: list[str], timeout: float, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cmd, cwd=EXTENSION, capture_output=True, text=True, timeout=timeout, check=False, **kwargs
    )


def _newest_source_mtime() -> float:
    sources = [EXTENSION / "package.json", *(EXTENSION / "media").iterdir()]
    sources += list((EXTENSION / "src").rglob("*.ts"))
    return max(p.stat().st_mtime for p in sources)


def _require(ok: bool, what: str, result: subprocess.CompletedProcess[str]) -> None:
    if not ok:
        raise AssertionError(f"{what} failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}")


@pytest.fixture(scope="module")
def tools() -> dict[str, str]:
    """npm packages, the .vsix, node 24 and code-server; skips only if they cannot exist here."""
    if shutil.which("npm") is None or shutil.which("node") is None:
        pytest.skip("node and npm are not installed")
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing (apt-get install -y chromium)")
    if not (EXTENSION / "node_modules").is_dir():
        result = _run(["npm", "ci", "--no-audit", "--no-fund"], timeout=600)
        _require(result.returncode == 0, "npm ci", result)
    if not VSIX.exists() or VSIX.stat().st_mtime < _newest_source_mtime():
        result = _run(["npm", "run", "package"], timeout=300)
        _require(result.returncode == 0, "npm run package", result)
    setup = _run(["bash", "scripts/e2e-setup.sh"], timeout=900)
    if setup.returncode != 0:
        pytest.skip(f"code-server could not be installed: {setup.stderr.strip()[-500:]}")
    found = dict(
        line.split("=", 1) for line in setup.stdout.splitlines() if line.startswith("TANDEM_E2E_")
    )
    return found


def test_chat_in_real_vscode(tools: dict[str, str], tmp_path: Path) -> None:
    shutil.rmtree(ARTIFACTS / "e2e", ignore_errors=True)
    (ARTIFACTS / "e2e").mkdir(parents=True)
    env = {
        **os.environ,
        **tools,
        "TANDEM_E2E_VSIX": str(VSIX),
        "TANDEM_E2E_PYTHON": sys.executable,
        "TANDEM_E2E_REPO": str(ROOT),
        "TANDEM_E2E_ARTIFACTS": str(ARTIFACTS / "e2e"),
        "TANDEM_E2E_TMP": str(tmp_path),
        "TANDEM_CHROMIUM": str(CHROMIUM),
    }
    result = _run(["npm", "run", "--silent", "test:e2e"], timeout=600, env=env)
    (ARTIFACTS / "e2e" / "output.txt").write_text(result.stdout + "\n" + result.stderr)
    assert result.returncode == 0, (
        f"the VS Code end-to-end run failed (screenshots and logs in {ARTIFACTS}):\n"
        f"{result.stdout[-12000:]}\n{result.stderr[-4000:]}"
    )
