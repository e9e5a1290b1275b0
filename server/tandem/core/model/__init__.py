"""The model client: any OpenAI-compatible Chat Completions endpoint, LSP-free."""

from __future__ import annotations

from tandem.core.model.client import ModelClient
from tandem.core.model.endpoint import describe_endpoint
from tandem.core.model.faults import ErrorCode, ModelEndpointError
from tandem.core.model.stream import ChatResult, OnDelta

__all__ = [
    "ChatResult",
    "ErrorCode",
    "ModelClient",
    "ModelEndpointError",
    "OnDelta",
    "describe_endpoint",
]
