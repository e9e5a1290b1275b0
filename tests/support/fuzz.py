"""Shared pieces of the property-based tests: settings profiles and hostile inputs.

Two hypothesis profiles, used as a base by each fuzz test (never loaded globally, so
other tests keep their own settings):

- ``ci`` (the default): derandomized, so every run tries the same varied inputs and a
  failure reproduces on any machine;
- ``explore``: a fresh random seed and five times the examples, for hunting locally
  (``TANDEM_FUZZ=explore pytest tests/unit/test_text_fuzz.py``).
"""

from __future__ import annotations

import os
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

settings.register_profile(
    "tandem-ci",
    derandomize=True,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "tandem-explore",
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
EXPLORE = os.environ.get("TANDEM_FUZZ") == "explore"


def fuzz_settings(max_examples: int, **overrides: Any) -> settings:
    """The settings of one property: the active profile with its example count."""
    if EXPLORE:
        return settings(settings.get_profile("tandem-explore"), max_examples=max_examples * 5)
    return settings(settings.get_profile("tandem-ci"), max_examples=max_examples, **overrides)


# -- text -------------------------------------------------------------------------

TEXT_PIECES = [
    "a",
    "z ",
    "é",  # 2 UTF-8 bytes
    "中",  # 3 UTF-8 bytes
    "😀",  # astral: a surrogate pair in UTF-16, 4 UTF-8 bytes
    "𝄞",
    "👍🏽",  # emoji with a skin-tone modifier: two astral code points
    "e\u0301",  # e + combining acute accent
    "\u0915\u094d\u0937",  # Devanagari conjunct: three code points, one glyph
    "\t",
    "\n",
    "\r",
    "\r\n",
    "\r\r\n",
    "\x0c",  # str.splitlines breaks here, LSP does not
    "\u2028",
    "\x85",
]
"""Pieces that make line breaks and code-unit arithmetic interesting."""

any_char = st.characters(exclude_categories=["Cs"])  # lone surrogates are not JSON text
text = st.one_of(
    st.lists(st.sampled_from(TEXT_PIECES), max_size=24).map("".join),
    st.text(any_char, max_size=12),
)


# -- hostile JSON -------------------------------------------------------------------

BOGUS_URIS = [
    "file:///../../etc/passwd",
    "file:///etc/passwd",
    "file://",
    "file:",
    "file:///",
    "http://x",
    "untitled:Untitled-1",
    "",
    " ",
    "not a uri",
    "file:///%00",
    "file:///tmp/%2e%2e/%2e%2e/etc/shadow",
    "file://host/share/x.py",
    "file:///C:/Windows/win.ini",
]
HUGE = "x" * 200_000
huge = st.sampled_from([100_000, 200_000]).map(lambda n: "x" * n)
"""Strings far larger than any argument should be (kept out of strategy reprs)."""
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(any_char, max_size=20),
    st.sampled_from([*BOGUS_URIS, "\u202e", "\x00"]),
    huge,
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.text(any_char, max_size=8), inner, max_size=4),
    ),
    max_leaves=12,
)
"""Any JSON value, nested a few levels."""


def positions() -> st.SearchStrategy[Any]:
    """A position, or something shaped almost like one."""
    number = st.one_of(st.integers(-3, 5), st.integers(), scalars)
    good = st.fixed_dictionaries({"line": st.integers(-2, 5), "character": st.integers(-2, 99)})
    return st.one_of(good, st.fixed_dictionaries({"line": number, "character": number}), scalars)


def ranges() -> st.SearchStrategy[Any]:
    """A range, or something shaped almost like one (reversed, negative, junk)."""
    return st.one_of(
        st.fixed_dictionaries({"start": positions(), "end": positions()}),
        json_values,
    )
