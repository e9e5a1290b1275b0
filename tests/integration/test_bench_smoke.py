"""The benchmarks run end to end in their quick modes (numbers not judged)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_bench(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """``python ARGS`` from the project's root; fails the test on a non-zero exit."""
    run = subprocess.run(
        [sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )
    assert run.returncode == 0, run.stderr
    return run


def test_chat_overhead_quick_prints_the_table(tmp_path):
    out_file = tmp_path / "results.json"
    run = run_bench("bench/chat_overhead.py", "--quick", "--json", str(out_file))
    assert "| request sent → first byte at the stub |" in run.stdout
    assert "| chunk written at the stub → at the client |" in run.stdout
    results = json.loads(out_file.read_text())
    assert len(results["samples"]["tandem"]) == len(results["samples"]["direct"]) == 3
    chunks = [len(sample["chunks"]) for sample in results["samples"]["tandem"]]
    assert chunks == [results["config"]["chunks"]] * 3


def test_bench_suite_quick_writes_the_table_and_json(tmp_path):
    out_file = tmp_path / "latest.md"
    run_bench("-m", "bench", "--quick", "--skip-chat", "--out", str(out_file), timeout=180)
    table = out_file.read_text()
    for benchmark in (
        "1 typing",
        "2 initial indexing",
        "2 request during indexing",
        "3 warm restart",
        "4 context assembly",
        "5 churn",
        "6 memory",
    ):
        assert f"| {benchmark}" in table
    assert "- Rerun: `python -m bench --quick --skip-chat" in table
    payload = json.loads(out_file.with_suffix(".json").read_text())
    quick = payload["results"]["quick"]
    assert quick["files"] == 300
    assert quick["warm"][0]["files_read"] == 0, "a warm restart read unchanged files"
    assert quick["warm"][0]["churn_files_consistent"] == [20]


def test_buffer_cost_quick_writes_both_sides_of_each_row(tmp_path):
    out_file = tmp_path / "buffer.json"
    run_bench("bench/buffer_cost.py", "--quick", "--json", str(out_file))
    rows = json.loads(out_file.read_text())
    assert [(r["what"], r["how"]) for r in rows] == [
        ("redaction", "whole text"),
        ("redaction", "block by block"),
        ("token count", "blank-line pieces"),
        ("token count", "pieces + line cuts"),
    ]
    assert all(r["p50_ms"] > 0 for r in rows)


def test_rewrite_cost_quick_compares_the_two_ways_and_checks_they_agree():
    run = run_bench("bench/rewrite_cost.py", "--quick")  # exits non-zero if they disagree
    assert "| re-index after a one-character edit, p50 / p95 ms |" in run.stdout
    assert "| re-index after a checkout, s |" in run.stdout
