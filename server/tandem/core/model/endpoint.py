"""Where the model lives, in words fit for logs and messages: never the key.

The key itself is read from the environment variable named by ``model.apiKeyEnv``
each time a request is made, so a key exported after the server started is used.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

from tandem.core.settings import ModelSettings

DEFAULT_BASE_URL = "https://api.openai.com/v1"
KEY_PLACEHOLDER = "not-set"
"""Sent when the key variable is unset: local servers (Ollama, llama.cpp) need no key."""

KNOWN_SERVERS = {11434: "Ollama", 1234: "LM Studio", 8080: "llama.cpp", 8000: "vLLM"}
"""Default ports of common local servers, to name the one that is probably not running."""


def base_url(settings: ModelSettings) -> str:
    """``model.baseUrl``, else ``OPENAI_BASE_URL``, else OpenAI's, without a trailing slash."""
    return (settings.resolved_base_url() or DEFAULT_BASE_URL).rstrip("/")


def describe_endpoint(settings: ModelSettings) -> str:
    """The endpoint's URL for logs and health reports, with any credentials removed."""
    return safe_url(base_url(settings))


def safe_url(url: str) -> str:
    """``url`` without user info, query or fragment (where secrets sometimes hide)."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, host, parts.path.rstrip("/"), "", ""))


def api_key(settings: ModelSettings) -> str:
    """The key from ``$<model.apiKeyEnv>`` now, or a placeholder when it is unset."""
    return os.environ.get(settings.apiKeyEnv) or KEY_PLACEHOLDER


def key_is_set(settings: ModelSettings) -> bool:
    return bool(os.environ.get(settings.apiKeyEnv))


def running_hint(url: str) -> str:
    """ "is Ollama running?" for Ollama's port, "is the server running?" otherwise."""
    try:
        port = urlsplit(url).port
    except ValueError:
        port = None
    name = KNOWN_SERVERS.get(port) if port is not None else None
    return f"is {name} running?" if name else "is the server running?"


class Configured:
    """What a model client says of itself, from its ``model.*`` settings."""

    settings: ModelSettings

    @property
    def model_name(self) -> str:
        return self.settings.resolved_name()

    @property
    def endpoint(self) -> str:
        return describe_endpoint(self.settings)
