"""Assembly end to end on synthetic inputs: layout, budget, dedupe, deltas, redaction."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tandem.core.context.assemble import (
    DEFAULT_SYSTEM_PROMPT,
    Budget,
    BufferView,
    CodeCandidate,
    ContextRequest,
    FileDiffText,
    GitContext,
    HistoryTurn,
    Selection,
    assemble,
    count_messages,
)
from tandem.core.context.delta import content_hash
from tandem.core.context.sections import sent_hash
from tandem.core.context.tokens import TokenCounter
from tandem.core.errors import ContextError

GITHUB = "ghp_" + "aB3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF3hJ6"
AWS = "AKIA" + "QWERTYUIOPASDFGH"
OPENAI = "sk-proj-" + "Zx9Cv8Bn7Mq6Wr5Ty4Ui3Op2As1Df0GhJkLzXcVbNm"
SLACK = "xoxb-" + "123456789012-" + "AbCdEfGhIjKlMnOpQrStUvWx"
STRIPE = "sk_" + "live_" + "9fK2mQ7xR4tW8yB3nD6hJ1pL"
SECRETS = [GITHUB, AWS, OPENAI, SLACK, STRIPE]

APP = "".join(f"# app line {n}\n" for n in range(1, 41)).replace(
    "# app line 7\n", f"TOKEN = '{GITHUB}'\n"
)
UTIL = "def helper():\n    return 42\n\n\ndef other():\n    return 7\n"
BIG = "".join(f"value_{n} = {n} * {n}  # a long line of the big module\n" for n in range(1, 2001))


@pytest.fixture(scope="module")
def counter(tmp_path_factory: pytest.TempPathFactory) -> TokenCounter:
    return TokenCounter("o200k_base", tmp_path_factory.mktemp("tiktoken"))


def rich_request(**changes: object) -> ContextRequest:
    request = ContextRequest(
        prompt=f"Why does helper fail? (my key: {OPENAI})",
        selection=Selection("src/util.py", 1, 2, "def helper():\n    return 42\n", ["E1: bad"]),
        active_path="src/app.py",
        buffers=[BufferView("src/app.py", APP, dirty=True)],
        git=GitContext(
            "On main; 2 files changed",
            [
                FileDiffText("package-lock.json", "modified", ["@@ -1 +1 @@\n-a\n+b\n"]),
                FileDiffText(
                    "src/db.py",
                    "modified",
                    [f"@@ -10,2 +10,3 @@\n x = 1\n+key = '{AWS}'\n y = 2\n"],
                ),
            ],
        ),
        workspace_summary="Python service, 3 packages",
        history=[
            HistoryTurn(1, "user", "first question"),
            HistoryTurn(2, "assistant", f"first answer with {SLACK}"),
            HistoryTurn(
                3,
                "user",
                "second question",
                mentioned_paths=["src/app.py"],
                file_hashes={"src/app.py": "an-older-hash"},
            ),
            HistoryTurn(4, "assistant", "second answer"),
        ],
        code=[
            CodeCandidate(
                "src/util.py",
                1,
                2,
                "def helper():\n    return 42\n",
                0.9,
                ["defines helper"],
                "function",
                "helper",
            ),
            CodeCandidate(
                "src/util.py",
                5,
                6,
                "def other():\n    return 7\n",
                0.5,
                ["lexical"],
                "function",
                "other",
            ),
            CodeCandidate("src/app.py", 5, 8, "".join(APP.splitlines(True)[4:8]), 0.7, ["open"]),
            CodeCandidate("src/pay.py", 3, 3, f"STRIPE = '{STRIPE}'\n", 0.4, ["lexical"]),
        ],
    )
    return _replace(request, **changes)


def _replace(request: ContextRequest, **changes: object) -> ContextRequest:
    from dataclasses import replace

    return replace(request, **changes)  # type: ignore[arg-type]


def everything(messages: list[dict[str, str]]) -> str:
    return "\n".join(m["content"] for m in messages)


def test_layout_system_history_then_context_with_the_prompt_last(counter: TokenCounter) -> None:
    result = assemble(rich_request(), Budget(128_000, 4_096, 512), counter)
    roles = [m["role"] for m in result.messages]
    assert roles == ["system", "user", "assistant", "user", "assistant", "user"]
    assert result.messages[0]["content"] == DEFAULT_SYSTEM_PROMPT
    final = result.messages[-1]["content"]
    headers = ["## Workspace", "## Uncommitted changes (git)", "## Relevant code",
               "## Open files", "## Selection: `src/util.py:1-2`", "## Request"]  # fmt: skip
    positions = [final.index(h) for h in headers]
    assert positions == sorted(positions)
    assert final.rstrip().endswith("Why does helper fail? (my key: [REDACTED:openai_key])")
    assert "- E1: bad" in final
    assert "### `src/util.py:5-6` (function other)" in final


def test_total_is_the_count_of_the_messages_as_sent(counter: TokenCounter) -> None:
    budget = Budget(128_000, 4_096, 512)
    result = assemble(rich_request(), budget, counter)
    assert result.total_tokens == count_messages(result.messages, counter)
    assert result.manifest["totalTokens"] == result.total_tokens
    assert result.budget == budget.available
    json.dumps(result.manifest)


def test_every_secret_is_redacted_and_recorded(counter: TokenCounter) -> None:
    result = assemble(rich_request(), Budget(128_000, 4_096, 512), counter)
    text = everything(result.messages)
    for secret in SECRETS:
        assert secret not in text
    found = {(r["section"], r["path"], r["kind"], r["line"]) for r in result.manifest["redactions"]}
    assert found == {
        ("buffers", "src/app.py", "github_token", 7),
        ("git", "src/db.py", "aws_access_key_id", 11),
        ("code", "src/pay.py", "stripe_key", 3),
        ("history", None, "slack_token", 1),
        ("prompt", None, "openai_key", 1),
    }
    assert all(secret not in json.dumps(result.manifest) for secret in SECRETS)


def test_lock_files_are_demoted_to_a_line_after_real_diffs(counter: TokenCounter) -> None:
    final = assemble(rich_request(), Budget(128_000, 4_096, 512), counter).messages[-1]["content"]
    assert final.index("`src/db.py`") < final.index("`package-lock.json`")
    assert "- `package-lock.json` (modified): 1 hunk, +1 -1; diff not shown" in final


def test_no_content_is_sent_twice(counter: TokenCounter) -> None:
    result = assemble(rich_request(), Budget(128_000, 4_096, 512), counter)
    final = result.messages[-1]["content"]
    assert final.count("def helper():") == 1, "the selection already shows it"
    assert "src/app.py:5-8" not in final, "folded into the open buffer"
    assert final.count("# app line 5\n") == 1
    dropped = {d["key"]: d["reason"] for d in result.manifest["dropped"]}
    assert dropped == {"src/util.py:1-2": "duplicate: already shown"}
    buffer = next(i for i in result.manifest["items"] if i["kind"] == "buffer")
    assert buffer["score"] == 0.7 and "open" in buffer["why"]


def test_overlapping_snippets_keep_only_new_lines(counter: TokenCounter) -> None:
    text = "".join(f"line {n}\n" for n in range(1, 21))
    lines = text.splitlines(True)
    code = [
        CodeCandidate("m.py", 1, 10, "".join(lines[0:10]), 0.9),
        CodeCandidate("m.py", 6, 15, "".join(lines[5:15]), 0.8),
        CodeCandidate("m.py", 2, 4, "".join(lines[1:4]), 0.7),
    ]
    request = ContextRequest(prompt="q", code=code)
    result = assemble(request, Budget(128_000, 4_096, 512), counter)
    final = result.messages[-1]["content"]
    assert "### `m.py:1-10` (block)" in final and "### `m.py:11-15` (block)" in final
    assert all(final.count(f"line {n}\n") == 1 for n in range(1, 16))
    assert [d["key"] for d in result.manifest["dropped"]] == ["m.py:2-4"]


def test_a_tight_budget_drops_context_but_keeps_the_prompt(counter: TokenCounter) -> None:
    request = rich_request(code=[CodeCandidate("big.py", 1, 2000, BIG, 0.9)])
    roomy = assemble(request, Budget(128_000, 4_096, 512), counter)
    tight = assemble(request, Budget(4_000, 1_000, 100), counter)
    assert tight.total_tokens <= 2_900 < roomy.total_tokens
    assert tight.messages[-1]["content"].rstrip().endswith("[REDACTED:openai_key])")
    big = next(i for i in tight.manifest["items"] if i.get("path") == "big.py")
    assert big["shrunk"] and big["lines"][1] < 2000


def test_a_large_buffer_shrinks_to_the_retrieved_snippets(counter: TokenCounter) -> None:
    request = ContextRequest(
        prompt="explain value_1500",
        buffers=[BufferView("big.py", BIG, dirty=True)],
        code=[CodeCandidate("big.py", 1500, 1502, "stale text from the index\n" * 3, 0.9)],
    )
    result = assemble(request, Budget(8_000, 1_000, 100), counter)
    final = result.messages[-1]["content"]
    assert "### `big.py:1500-1502` (block)" in final
    assert "value_1500 = 1500 * 1500" in final, "the snippet is cut from the buffer's text"
    assert "stale text" not in final
    assert result.snapshots == {}, "a shrunk file is not recorded as seen"


def test_prompt_too_large_for_the_budget_is_a_context_error(counter: TokenCounter) -> None:
    with pytest.raises(ContextError, match=r"need \d+ tokens but only"):
        assemble(ContextRequest(prompt=BIG), Budget(4_000, 1_000, 100), counter)
    with pytest.raises(ContextError, match=r"model\.maxOutputTokens"):
        assemble(ContextRequest(prompt="hi"), Budget(1_000, 1_000, 100), counter)


def test_a_bare_prompt_is_sent_as_is(counter: TokenCounter) -> None:
    result = assemble(ContextRequest(prompt="hello there"), Budget(8_000, 1_000, 0), counter,
                      system_prompt="Be brief.")  # fmt: skip
    assert result.messages == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "hello there"},
    ]


def test_older_turns_give_way_with_a_note_and_the_summary(counter: TokenCounter) -> None:
    history = []
    for n in range(1, 41):
        history += [HistoryTurn(2 * n - 1, "user", f"question {n} " + "word " * 300),
                    HistoryTurn(2 * n, "assistant", f"answer {n} " + "word " * 300)]  # fmt: skip
    request = ContextRequest(prompt="next", history=history, history_summary="We fixed bug 12.")
    result = assemble(request, Budget(16_000, 2_000, 0), counter)
    system = result.messages[0]["content"]
    assert "Summary of the earlier conversation:\nWe fixed bug 12." in system
    kept = len(result.messages) - 2
    assert 0 < kept < 80 and kept % 2 == 0
    assert f"({80 - kept} earlier messages of this conversation are not shown.)" in system
    assert result.messages[-2]["content"].startswith("answer 40")
    assert result.total_tokens <= 14_000


def test_history_notes_files_changed_since_the_turn(counter: TokenCounter) -> None:
    result = assemble(rich_request(), Budget(128_000, 4_096, 512), counter)
    second_question = result.messages[3]["content"]
    assert second_question == "second question\n\n(note: `src/app.py` has changed since this turn)"


def carrying_history(text: str) -> list[HistoryTurn]:
    """An earlier turn whose stored message carries ``src/app.py`` as ``text``."""
    return [
        HistoryTurn(1, "user", f"earlier request with the file:\n{text}",
                    file_hashes={"src/app.py": sent_hash(text)}, carries_files=True),
        HistoryTurn(2, "assistant", "noted"),
    ]  # fmt: skip


def delta_request(before: str, now: str) -> ContextRequest:
    snapshots = {sent_hash(before): before}
    return ContextRequest(
        prompt="what changed?",
        buffers=[BufferView("src/app.py", now)],
        history=carrying_history(before),
        sent_snapshots={"src/app.py": sent_hash(before)},
        get_snapshot=snapshots.get,
    )


def test_an_unchanged_file_already_seen_is_only_referenced(counter: TokenCounter) -> None:
    plain = APP.replace(GITHUB, "x")
    result = assemble(delta_request(plain, plain), Budget(128_000, 4_096, 512), counter)
    final = result.messages[-1]["content"]
    assert "- `src/app.py` unchanged since you saw it in an earlier turn (40 lines)" in final
    assert "# app line 3" not in final
    assert result.snapshots == {}


def test_a_changed_file_already_seen_is_sent_as_a_diff(counter: TokenCounter) -> None:
    plain = APP.replace(GITHUB, "x")
    changed = plain.replace("# app line 20\n", "# line twenty\n")
    result = assemble(delta_request(plain, changed), Budget(128_000, 4_096, 512), counter)
    final = result.messages[-1]["content"]
    assert "### `src/app.py`: changes since you last saw it" in final
    assert "-# app line 20\n+# line twenty\n" in final
    assert result.snapshots == {"src/app.py": (content_hash(changed), changed)}
    assert result.diff_bases == {"src/app.py": content_hash(plain)}
    entry = next(i for i in result.manifest["items"] if i["kind"] == "buffer")
    assert (entry["hash"], entry["baseHash"]) == (content_hash(changed), content_hash(plain))


def chained_request(first_padding: str) -> ContextRequest:
    """Turn 1 sent ``src/app.py`` whole, turn 3 sent a diff on it; it is unchanged since."""
    v1 = APP.replace(GITHUB, "x")
    v2 = v1.replace("# app line 3\n", "# line three\n")
    h1, h2 = sent_hash(v1), sent_hash(v2)
    path = "src/app.py"
    return ContextRequest(
        prompt="and now?",
        buffers=[BufferView(path, v2)],
        history=[
            HistoryTurn(1, "user", f"file:\n{v1}{first_padding}", [], {path: h1}, True),
            HistoryTurn(2, "assistant", "ok"),
            HistoryTurn(3, "user", "diff: ...", [], {path: h2}, True, {path: h1}),
            HistoryTurn(4, "assistant", "ok"),
        ],
        sent_snapshots={path: h2},
        get_snapshot={h1: v1, h2: v2}.get,
    )


def test_a_diff_turn_shows_the_file_together_with_its_base(counter: TokenCounter) -> None:
    result = assemble(chained_request(""), Budget(128_000, 4_096, 512), counter)
    assert "`src/app.py` unchanged since you saw it" in result.messages[-1]["content"]


def test_a_diff_turn_without_its_base_does_not_show_the_file(counter: TokenCounter) -> None:
    padding = "".join(f"padding {n}\n" for n in range(3000))
    result = assemble(chained_request(padding), Budget(6_000, 1_000, 0), counter)
    kept = {i["key"]: i["shrunk"] for i in result.manifest["items"] if i["kind"] == "turn"}
    assert kept == {"turn:3": False, "turn:1": True}
    final = result.messages[-1]["content"]
    assert "unchanged since" not in final
    assert "### `src/app.py:1-40` (whole file, 40 lines)" in final


def test_a_file_is_resent_whole_when_no_kept_turn_carries_it(counter: TokenCounter) -> None:
    plain = APP.replace(GITHUB, "x")
    request = _replace(delta_request(plain, plain), history=[])
    result = assemble(request, Budget(128_000, 4_096, 512), counter)
    assert "### `src/app.py:1-40` (whole file, 40 lines)" in result.messages[-1]["content"]
    assert result.snapshots == {"src/app.py": (content_hash(plain), plain)}


def test_a_file_is_resent_whole_when_its_carrying_turn_does_not_fit(counter: TokenCounter) -> None:
    plain = APP.replace(GITHUB, "x")
    padded = plain + "".join(f"padding {n}\n" for n in range(3000))
    assert counter.count(padded) > 9_000
    result = assemble(delta_request(padded, padded), Budget(10_000, 1_000, 0), counter)
    turn = next(i for i in result.manifest["items"] if i["kind"] == "turn")
    assert turn["shrunk"], "a shortened turn no longer carries the file"
    assert result.messages[1]["content"].endswith("[… truncated]")
    final = result.messages[-1]["content"]
    assert "unchanged since" not in final
    assert "### `src/app.py:1-" in final and "of 3040 lines)" in final
    assert result.total_tokens <= 9_000


def test_assembly_is_deterministic(counter: TokenCounter) -> None:
    first = assemble(rich_request(), Budget(6_000, 1_000, 100), counter)
    second = assemble(rich_request(), Budget(6_000, 1_000, 100), counter)
    assert first == second


@settings(max_examples=25, deadline=None)
@given(window=st.integers(1_200, 40_000), output=st.integers(1, 1_000))
def test_the_budget_holds_for_any_window(counter: TokenCounter, window: int, output: int) -> None:
    request = rich_request(code=[*rich_request().code, CodeCandidate("big.py", 1, 2000, BIG, 0.3)])
    budget = Budget(window, output, 0)
    try:
        result = assemble(request, budget, counter)
    except ContextError:
        assert budget.available < 600
        return
    assert count_messages(result.messages, counter) == result.total_tokens <= budget.available
    assert result.messages[-1]["content"].rstrip().endswith("[REDACTED:openai_key])")
