"""What an OpenAI-compatible endpoint accepts, learnt from its 400 answers.

Some servers reject ``stream_options`` (then usage is not reported); OpenAI's
reasoning models reject ``max_tokens`` and want ``max_completion_tokens``, which many
compatible servers do not know. A client starts with the widely understood shape
and adapts once per complaint; each adaptation only moves forward, so it ends.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

TokenParam = Literal["max_tokens", "max_completion_tokens"]


@dataclass(frozen=True)
class RequestShape:
    stream_options: bool = True
    """Ask for a usage chunk at the end of a stream."""
    token_param: TokenParam = "max_tokens"


def adapt(shape: RequestShape, complaint: str) -> RequestShape | None:
    """The shape that avoids what a 400 ``complaint`` names, or None if it names nothing."""
    text = complaint.lower()
    if shape.stream_options and "stream_options" in text:
        return replace(shape, stream_options=False)
    if shape.token_param == "max_tokens" and "max_completion_tokens" in text:
        return replace(shape, token_param="max_completion_tokens")
    return None
