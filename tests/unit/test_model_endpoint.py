"""Pure parts of the model client: endpoint words, hints, and request adaptation."""

from __future__ import annotations

import pytest

from tandem.core.model import describe_endpoint
from tandem.core.model.compat import RequestShape, adapt
from tandem.core.model.endpoint import DEFAULT_BASE_URL, api_key, base_url, running_hint
from tandem.core.settings import ModelSettings


@pytest.mark.parametrize(
    ("url", "hint"),
    [
        ("http://localhost:11434/v1", "is Ollama running?"),
        ("http://127.0.0.1:1234/v1", "is LM Studio running?"),
        ("http://localhost:8080/v1", "is llama.cpp running?"),
        ("http://gpu-box:8000/v1", "is vLLM running?"),
        ("http://localhost:9999/v1", "is the server running?"),
        ("https://api.example.com/v1", "is the server running?"),
        ("http://localhost:99999999/v1", "is the server running?"),
    ],
)
def test_running_hint_names_the_usual_server_for_a_port(url: str, hint: str) -> None:
    assert running_hint(url) == hint


def test_describe_endpoint_drops_credentials_and_queries() -> None:
    settings = ModelSettings(baseUrl="https://user:secret@llm.example.com/v1/?api-key=abc")
    assert describe_endpoint(settings) == "https://llm.example.com/v1"


def test_base_url_falls_back_to_the_environment_then_openai(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    assert base_url(ModelSettings()) == DEFAULT_BASE_URL
    monkeypatch.setenv("OPENAI_BASE_URL", "http://localhost:11434/v1/")
    assert base_url(ModelSettings()) == "http://localhost:11434/v1"
    assert base_url(ModelSettings(baseUrl="http://set:1/v1")) == "http://set:1/v1"


def test_api_key_is_a_placeholder_when_the_variable_is_unset(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = ModelSettings(apiKeyEnv="TANDEM_UNIT_KEY")
    monkeypatch.delenv("TANDEM_UNIT_KEY", raising=False)
    assert api_key(settings) == "not-set"
    monkeypatch.setenv("TANDEM_UNIT_KEY", "sk-1")
    assert api_key(settings) == "sk-1"


@pytest.mark.parametrize(
    ("shape", "complaint", "expected"),
    [
        (RequestShape(), "Unrecognized argument: stream_options", RequestShape(False)),
        (
            RequestShape(),
            "Unsupported parameter: 'max_tokens'. Use 'max_completion_tokens' instead.",
            RequestShape(token_param="max_completion_tokens"),
        ),
        (RequestShape(stream_options=False), "unknown field stream_options", None),
        (RequestShape(), "context length exceeded", None),
    ],
)
def test_adapt_moves_only_forward(
    shape: RequestShape, complaint: str, expected: RequestShape | None
) -> None:
    assert adapt(shape, complaint) == expected
