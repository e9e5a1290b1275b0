from __future__ import annotations

import pytest

from tandem.core.context.render import fence


@pytest.mark.parametrize(
    ("text", "ticks"),
    [
        ("x = 1\n", 3),
        ("inline `code` and ``more``\n", 3),
        ('doc = """\n```python\nx\n```\n"""\n', 4),
        ("a ````` run\n", 6),
        ("", 3),
    ],
)
def test_fence_is_longer_than_any_backtick_run_inside(text: str, ticks: int) -> None:
    fenced = fence(text, "python")
    assert fenced.startswith("`" * ticks + "python\n")
    assert fenced.endswith("\n" + "`" * ticks + "\n")
    assert not fenced.startswith("`" * (ticks + 1))


def test_fence_ends_the_body_with_a_newline() -> None:
    assert fence("x = 1") == "```\nx = 1\n```\n"
