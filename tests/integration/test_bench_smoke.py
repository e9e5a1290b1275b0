"""The chat latency benchmark runs end to end in its quick mode (numbers not judged)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_chat_overhead_quick_prints_the_table(tmp_path):
    out_file = tmp_path / "results.json"
    run = subprocess.run(
        [sys.executable, "bench/chat_overhead.py", "--quick", "--json", str(out_file)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    assert "| request sent → first byte at the stub |" in run.stdout
    assert "| chunk written at the stub → at the client |" in run.stdout
    results = json.loads(out_file.read_text())
    assert len(results["samples"]["tandem"]) == len(results["samples"]["direct"]) == 3
    chunks = [len(sample["chunks"]) for sample in results["samples"]["tandem"]]
    assert chunks == [results["config"]["chunks"]] * 3
