"""Settings parsing never fails: random JSON trees against a hand-written table of rules.

``RULES`` says, for every setting, which values are acceptable; it is written out
here rather than derived from the dataclasses, and a test checks that it names every
setting. For any tree, a good value is kept, a bad one is replaced by the default and
named in ``problems``, and an unknown key is named and ignored.
"""

from __future__ import annotations

import dataclasses
import math
import typing
from collections.abc import Callable
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from tandem.core import settings as s
from tests.support import figures
from tests.support.fuzz import HUGE, fuzz_settings, huge, json_values, scalars


def _int(low: int, high: int) -> Callable[[Any], bool]:
    return lambda v: type(v) is int and low <= v <= high


def _float(low: float, high: float) -> Callable[[Any], bool]:
    def ok(v: Any) -> bool:
        if type(v) is int and abs(v) > 10**300:
            return False
        return type(v) in (int, float) and not math.isnan(v) and low <= v <= high

    return ok


def _text(v: Any) -> bool:
    return type(v) is str and v != ""


def _optional(rule: Callable[[Any], bool]) -> Callable[[Any], bool]:
    return lambda v: v is None or rule(v)


def _strings(v: Any) -> bool:
    return type(v) is list and all(type(x) is str for x in v)


def _headers(v: Any) -> bool:
    return type(v) is dict and all(type(k) is str and type(x) is str for k, x in v.items())


RULES: dict[str, Callable[[Any], bool]] = {
    "model.baseUrl": _optional(_text),
    "model.name": _optional(_text),
    "model.apiKeyEnv": _text,
    "model.contextWindow": _int(256, 10_000_000),
    "model.maxOutputTokens": _int(1, 1_000_000),
    "model.temperature": _optional(_float(0.0, 2.0)),
    "model.timeoutSeconds": _float(0.1, 3600.0),
    "model.maxRetries": _int(0, 10),
    "model.headers": _headers,
    "model.encoding": _optional(_text),
    "history.backend": lambda v: v in ("sqlite", "redis") and type(v) is str,
    "history.redisUrl": _text,
    "history.keepRecentTurns": _int(0, 1000),
    "context.marginTokens": _int(0, 100_000),
    "context.maxBudgetTokens": _optional(_int(64, 10_000_000)),
    "context.maxFileBytes": _int(1, 1_000_000_000),
    "workspace.ignore": _strings,
    "workspace.allow": _strings,
    "workspace.watch": lambda v: v in ("auto", "client", "server", "off") and type(v) is str,
    "workspace.baselineRef": _optional(_text),
}
SECTIONS = sorted({key.split(".")[0] for key in RULES})

# Values near each rule's edges, then anything at all.
edge_values = st.one_of(
    st.sampled_from([0, 1, 63, 64, 255, 256, 1000, 1001, 3600, 10_000_000, 10_000_001]),
    st.sampled_from([0.05, 0.1, 2.0, 2.5, math.inf, -math.inf, math.nan, -0.0, 10**400]),
    st.sampled_from(["sqlite", "redis", "mongo", "auto", "client", "off", "", "o200k_base"]),
    st.lists(st.one_of(st.text(max_size=5), st.integers()), max_size=3),
    st.dictionaries(st.text(max_size=5), st.one_of(st.text(max_size=5), st.integers())),
    st.sampled_from([10**5000, {"k": 10**5000}]),
    huge,
    st.lists(huge, max_size=1),
)
any_value = st.one_of(edge_values, json_values)


def leaf(settings: s.Settings, key: str) -> Any:
    section, name = key.split(".")
    return getattr(getattr(settings, section), name)


def named(problems: list[str], key: str) -> bool:
    return any(f"'{key}'" in p for p in problems)


@st.composite
def trees(draw):
    """A settings tree: some known keys with any values, unknown keys, junk sections."""
    tree: dict[str, Any] = {}
    for key in draw(st.lists(st.sampled_from(sorted(RULES)), max_size=8, unique=True)):
        section, name = key.split(".")
        tree.setdefault(section, {})[name] = draw(any_value, label=key)
    for section in draw(st.lists(st.sampled_from(SECTIONS), max_size=2, unique=True)):
        if draw(st.booleans(), label=f"unknown key in {section}"):
            tree.setdefault(section, {})["bogus" + section.title()] = draw(json_values)
        else:
            tree[section] = draw(scalars, label=f"{section} replaced by")
    if draw(st.booleans(), label="unknown section"):
        tree["telemetry"] = draw(json_values)
    return tree


def test_the_rules_name_every_setting():
    keys = {
        f"{section.name}.{f.name}"
        for section in dataclasses.fields(s.Settings)
        for f in dataclasses.fields(typing.get_type_hints(s.Settings)[section.name])
    }
    assert keys == set(RULES)


@fuzz_settings(400)
@given(tree=trees())
@example(tree={"model": {"timeoutSeconds": 10**400}})  # was an OverflowError
@example(tree={"model": {"temperature": 10**400, "headers": {"k": 10**5000}}})  # ValueError
@example(tree={"model": {"name": HUGE}, HUGE: 1})
def test_good_values_are_kept_and_bad_ones_defaulted_and_named(tree):
    parsed = s.parse(tree)
    figures.add("Fuzzing: settings", trees_parsed=1, problems_named=len(parsed.problems))
    defaults = s.Settings()
    for key, ok in RULES.items():
        section, name = key.split(".")
        given_section = tree.get(section)
        if not isinstance(given_section, dict):
            assert leaf(parsed.settings, key) == leaf(defaults, key)
            assert named(parsed.problems, section) == (section in tree), key
        elif name not in given_section:
            assert leaf(parsed.settings, key) == leaf(defaults, key)
        elif ok(given_section[name]):
            assert leaf(parsed.settings, key) == given_section[name]
            assert not named(parsed.problems, key)
        else:
            assert leaf(parsed.settings, key) == leaf(defaults, key)
            assert named(parsed.problems, key), (key, parsed.problems)
    assert all(len(p) < 300 for p in parsed.problems)


@fuzz_settings(200)
@given(raw=json_values)
def test_any_json_at_all_parses(raw):
    parsed = s.parse(raw)
    figures.add("Fuzzing: settings", trees_parsed=1, problems_named=len(parsed.problems))
    assert isinstance(parsed.settings, s.Settings)
    if raw is not None and not isinstance(raw, dict):
        assert parsed.settings == s.Settings() and len(parsed.problems) == 1
    elif isinstance(raw, dict):
        unknown = [k for k in raw if k not in SECTIONS]
        assert all(any(f"'{k[:20]}" in p for p in parsed.problems) for k in unknown)


@fuzz_settings(100)
@given(init=json_values, config=json_values, folder=json_values)
def test_any_layers_merge_and_parse(init, config, folder):
    """The three layers a server merges, whatever the client sends in each."""
    merged = s.merge(s.unwrap_init_options(init), config, folder)
    figures.add("Fuzzing: settings", layered_settings_merged=1)
    assert isinstance(s.parse(merged).settings, s.Settings)
