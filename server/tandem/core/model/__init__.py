"""The model client: any OpenAI-compatible Chat Completions endpoint, LSP-free."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tandem.core.model.endpoint import describe_endpoint

if TYPE_CHECKING:
    from tandem.core.model.client import ModelClient
    from tandem.core.model.faults import ErrorCode, ModelEndpointError
    from tandem.core.model.stream import ChatResult, OnDelta

_LAZY = {
    "ModelClient": "tandem.core.model.client",
    "ErrorCode": "tandem.core.model.faults",
    "ModelEndpointError": "tandem.core.model.faults",
    "ChatResult": "tandem.core.model.stream",
    "OnDelta": "tandem.core.model.stream",
}


def __getattr__(name: str) -> Any:
    """Import the ``openai``-backed parts on first use: ``openai`` takes ~2 s to import,
    which would otherwise delay every editor's ``initialize``."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(name)
    import importlib

    return getattr(importlib.import_module(module), name)


__all__ = [
    "ChatResult",
    "ErrorCode",
    "ModelClient",
    "ModelEndpointError",
    "OnDelta",
    "describe_endpoint",
]
