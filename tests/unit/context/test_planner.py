"""The budget planner: quotas, flow-on, flow-back, shrinking, and an exact budget."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tandem.core.context.planner import (
    DEFAULT_SHARES,
    OVER_BUDGET,
    SECTION_ORDER,
    SECTION_QUOTA,
    Budget,
    Item,
    Plan,
    plan,
)
from tandem.core.errors import ContextError


def item(key: str, tokens: int, kind: str = "code", **extra: object) -> Item:
    return Item(kind, key, f"text of {key}", tokens, **extra)  # type: ignore[arg-type]


def mandatory(key: str, tokens: int) -> Item:
    return item(key, tokens, kind=key, droppable=False)


def keys(result: Plan, section: str) -> list[str]:
    return [i.key for i in result.sections[section]]


def dropped(result: Plan) -> dict[str, str]:
    return {i.key: reason for i, reason in result.dropped}


def items_total(result: Plan) -> int:
    return sum(i.tokens for section in result.sections.values() for i in section)


def test_budget_is_window_minus_output_and_margin_capped() -> None:
    assert Budget(128_000, 4_096, 512).available == 123_392
    assert Budget(128_000, 4_096, 512, max_budget=8_000).available == 8_000
    assert Budget(1_000, 900, 200).available == -100


def test_everything_fits() -> None:
    sections = {
        "system": [mandatory("system", 10)],
        "code": [item("a", 5), item("b", 5)],
        "prompt": [mandatory("prompt", 10)],
    }
    result = plan(sections, 1000, reserved=7)
    assert keys(result, "code") == ["a", "b"]
    assert result.dropped == []
    assert result.total_tokens == 37
    assert list(result.sections) == list(SECTION_ORDER)


def test_section_quota_drops_in_order_and_later_items_may_still_fit() -> None:
    # 1000 free: code gets 400 of it; git, buffers, history and workspace take the rest.
    fillers = {
        name: [item(f"{name}-big", int(1000 * share))]
        for name, share in DEFAULT_SHARES.items()
        if name != "code"
    }
    sections = {**fillers, "code": [item("a", 300), item("b", 200), item("c", 100)]}
    result = plan(sections, 1000, shares=DEFAULT_SHARES)
    assert keys(result, "code") == ["a", "c"]
    assert dropped(result) == {"b": SECTION_QUOTA}


def test_over_budget_when_an_item_exceeds_everything_left() -> None:
    result = plan({"code": [item("huge", 5000), item("small", 10)]}, 1000)
    assert keys(result, "code") == ["small"]
    assert dropped(result) == {"huge": OVER_BUDGET}


def test_unused_quota_flows_on_to_later_sections() -> None:
    # git is empty: its 15% flows on, so code may spend 55% in the first pass.
    shares = {"git": 0.15, "code": 0.40, "buffers": 0.45}
    sections = {"code": [item("a", 540)], "buffers": [item("buf", 450)]}
    result = plan(sections, 1000, shares=shares)
    assert keys(result, "code") == ["a"]
    assert keys(result, "buffers") == ["buf"]


def test_leftover_flows_back_to_sections_that_wanted_more() -> None:
    shares = {"code": 0.5, "history": 0.5}
    sections = {"code": [item("a", 400), item("b", 400)], "history": [item("h", 10, kind="turn")]}
    result = plan(sections, 1000, shares=shares)
    assert keys(result, "code") == ["a", "b"]
    assert keys(result, "history") == ["h"]
    assert result.dropped == []


def test_flow_back_keeps_priority_order_within_a_section() -> None:
    shares = {"code": 0.3, "buffers": 0.7}
    sections = {"code": [item("a", 200), item("b", 250), item("c", 50)], "buffers": [item("x", 10)]}
    result = plan(sections, 1000, shares=shares)
    assert keys(result, "code") == ["a", "b", "c"]


def test_an_item_that_does_not_fit_uses_its_smaller_stand_in() -> None:
    small = item("a", 50, meta={"mode": "head"})
    sections = {"code": [item("a", 500, shrinkable=small), item("b", 300)]}
    result = plan(sections, 400, shares={"code": 1.0})
    chosen = result.sections["code"]
    assert [(i.key, i.tokens) for i in chosen] == [("a", 50), ("b", 300)]
    assert chosen[0].meta == {"mode": "head", "shrunk": True}


def test_stand_ins_chain_until_one_fits() -> None:
    tiny = item("a", 5)
    sections = {"code": [item("a", 500, shrinkable=item("a", 200, shrinkable=tiny))]}
    result = plan(sections, 100, shares={"code": 1.0})
    assert [i.tokens for i in result.sections["code"]] == [5]


def test_headers_count_once_per_non_empty_section() -> None:
    sections = {"code": [item("a", 10), item("b", 10)], "buffers": []}
    result = plan(sections, 100, headers={"code": 5, "buffers": 7}, shares={"code": 1.0})
    assert result.total_tokens == 25


def test_a_header_that_does_not_fit_keeps_the_section_out() -> None:
    result = plan({"code": [item("a", 95)]}, 100, headers={"code": 6}, shares={"code": 1.0})
    assert keys(result, "code") == []
    assert result.total_tokens == 0


def test_history_turns_stay_a_run_without_holes() -> None:
    turns = [
        item("t3", 100, kind="turn"),
        item("t2", 900, kind="turn"),
        item("t1", 10, kind="turn"),
    ]
    summary = item("summary", 20, kind="history_summary")
    result = plan({"history": [*turns, summary]}, 500, shares={"history": 1.0})
    assert keys(result, "history") == ["t3", "summary"]
    assert set(dropped(result)) == {"t2", "t1"}


def test_prompt_and_selection_are_never_dropped() -> None:
    sections = {
        "system": [mandatory("system", 40)],
        "code": [item("a", 50)],
        "prompt": [mandatory("selection", 30), mandatory("prompt", 20)],
    }
    result = plan(sections, 100)
    assert keys(result, "prompt") == ["selection", "prompt"]
    assert keys(result, "system") == ["system"]
    assert dropped(result) == {"a": OVER_BUDGET}


def test_too_small_a_budget_for_the_prompt_is_a_clear_error() -> None:
    sections = {"system": [mandatory("system", 60)], "prompt": [mandatory("prompt", 50)]}
    with pytest.raises(ContextError) as caught:
        plan(sections, 100, reserved=7)
    message = str(caught.value)
    assert "117 tokens" in message and "only 100" in message
    assert "model.contextWindow" in message and "context.maxBudgetTokens" in message


def test_unknown_section_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown sections"):
        plan({"extras": [item("a", 1)]}, 100)


def test_dropped_items_say_which_section_they_came_from() -> None:
    result = plan({"git": [item("g", 500, kind="git_diff")]}, 100)
    assert result.dropped[0][0].meta["section"] == "git"


# -- properties over random inputs ----------------------------------------------------

DROPPABLE = [name for name in SECTION_ORDER if name not in ("system", "prompt")]


@st.composite
def an_item(draw: st.DrawFn, key: str, kind: str) -> Item:
    tokens = draw(st.integers(0, 600))
    shrunk = None
    if draw(st.booleans()):
        shrunk = Item(kind, key, "short", draw(st.integers(0, tokens)))
    return Item(kind, key, "text", tokens, shrinkable=shrunk)


@st.composite
def a_request(draw: st.DrawFn) -> tuple[dict[str, list[Item]], int, dict[str, int], int]:
    sections: dict[str, list[Item]] = {}
    for name in DROPPABLE:
        kind = "turn" if name == "history" else name
        count = draw(st.integers(0, 6))
        sections[name] = [draw(an_item(f"{name}{i}", kind)) for i in range(count)]
    sections["system"] = [mandatory("system", draw(st.integers(0, 200)))]
    sections["prompt"] = [mandatory("prompt", draw(st.integers(1, 200)))]
    headers = {name: draw(st.integers(0, 8)) for name in DROPPABLE}
    return sections, draw(st.integers(0, 3000)), headers, draw(st.integers(0, 10))


@settings(max_examples=300, deadline=None)
@given(a_request())
def test_the_budget_is_never_exceeded_and_the_result_is_deterministic(
    request: tuple[dict[str, list[Item]], int, dict[str, int], int],
) -> None:
    sections, budget, headers, reserved = request
    try:
        result = plan(sections, budget, headers=headers, reserved=reserved)
    except ContextError:
        needed = reserved + sum(i.tokens for n in ("system", "prompt") for i in sections[n])
        assert needed > budget
        return
    assert result.total_tokens <= budget
    opened = sum(headers.get(name, 0) for name in DROPPABLE if result.sections[name])
    assert result.total_tokens == items_total(result) + opened + reserved
    assert keys(result, "prompt") == ["prompt"] and keys(result, "system") == ["system"]
    included = sum(len(section) for section in result.sections.values())
    assert included + len(result.dropped) == sum(len(s) for s in sections.values())
    assert plan(sections, budget, headers=headers, reserved=reserved) == result


@settings(max_examples=100, deadline=None)
@given(a_request())
def test_history_is_always_the_newest_run(
    request: tuple[dict[str, list[Item]], int, dict[str, int], int],
) -> None:
    sections, budget, headers, reserved = request
    try:
        result = plan(sections, budget, headers=headers, reserved=reserved)
    except ContextError:
        return
    offered = [i.key for i in sections["history"]]
    assert keys(result, "history") == offered[: len(result.sections["history"])]
