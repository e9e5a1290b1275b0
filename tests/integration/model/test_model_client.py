"""The model client against the real HTTP model stub: streaming, faults, cancellation.

Every test runs twice: with the client in this process, and with it in the model
process the server uses (:mod:`tandem.core.model.process`), which must behave the same.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
from typing import Any

import pytest

from tandem.core.errors import ModelError
from tandem.core.model import ModelClient, ModelEndpointError
from tandem.core.model.process import ModelProcess
from tandem.core.priority import NICENESS
from tandem.core.settings import ModelSettings
from tests.support.model_stub import (
    Hang,
    Malformed,
    ModelStub,
    Reply,
    SlowStream,
    Stall,
    Status,
    StreamError,
    Truncate,
)

QUESTION = [{"role": "user", "content": "what does main do?"}]


CLIENTS: dict[str, Any] = {"in-process": ModelClient, "model process": ModelProcess}
make: Any = ModelClient


@pytest.fixture(params=list(CLIENTS), autouse=True)
def kind(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(__import__(__name__, fromlist=["make"]), "make", CLIENTS[request.param])
    return str(request.param)


def client_for(stub: ModelStub, **overrides: Any) -> ModelClient:
    client: ModelClient = make(stub.model_settings(**overrides))
    return client


async def ask(client: ModelClient, messages: list[dict[str, Any]] = QUESTION) -> str:
    result = await client.stream_chat(messages, lambda _delta: None)
    return result.text


async def failure(client: ModelClient, call: Any = None) -> ModelEndpointError:
    with pytest.raises(ModelEndpointError) as caught:
        await (call or ask(client))
    await client.close()
    return caught.value


# -- streaming ------------------------------------------------------------------


async def test_stream_delivers_deltas_in_order_and_reports_usage(model_stub: ModelStub) -> None:
    model_stub.script(Reply(chunks=["`main` ", "greets ", "the world."]))
    client = client_for(model_stub)
    deltas: list[str] = []
    result = await client.stream_chat(QUESTION, deltas.append)
    await client.close()
    assert deltas == ["`main` ", "greets ", "the world."]
    assert result.text == "`main` greets the world."
    assert result.usage == {"prompt_tokens": 4, "completion_tokens": 4, "total_tokens": 8}
    assert (result.finish_reason, result.model) == ("stop", "stub-model")


async def test_the_request_carries_the_settings(model_stub: ModelStub) -> None:
    client = client_for(model_stub, maxOutputTokens=321, headers={"X-Team": "blue"})
    await ask(client)
    body = model_stub.last_body()
    assert body["model"] == "stub-model" and body["messages"] == QUESTION
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert body["max_tokens"] == 321
    assert "temperature" not in body  # unset: the server's default applies
    assert model_stub.requests[-1].headers["x-team"] == "blue"
    await client.close()


async def test_temperature_is_sent_when_set(model_stub: ModelStub) -> None:
    client = client_for(model_stub, temperature=0.2)
    await ask(client)
    await client.close()
    assert model_stub.last_body()["temperature"] == 0.2


async def test_an_async_callback_is_awaited_before_the_next_delta(model_stub: ModelStub) -> None:
    model_stub.script(Reply(chunks=["a", "b", "c"]))
    seen: list[str] = []

    async def on_delta(delta: str) -> None:
        await asyncio.sleep(0)
        seen.append(delta)

    client = client_for(model_stub)
    result = await client.stream_chat(QUESTION, on_delta)
    await client.close()
    assert seen == ["a", "b", "c"] and result.text == "abc"


async def test_the_default_answer_echoes_the_question(model_stub: ModelStub) -> None:
    client = client_for(model_stub)
    assert await ask(client) == "Echo: what does main do?"
    await client.close()


async def test_complete_returns_the_whole_json_answer(model_stub: ModelStub) -> None:
    model_stub.script(Reply(chunks=["one ", "piece"]))
    client = client_for(model_stub)
    result = await client.complete(QUESTION)
    await client.close()
    assert result.text == "one piece" and result.finish_reason == "stop"
    assert result.usage == {"prompt_tokens": 4, "completion_tokens": 2, "total_tokens": 6}
    assert "stream" not in model_stub.last_body() or model_stub.last_body()["stream"] is False


async def test_the_key_is_read_from_the_named_variable_at_each_call(
    model_stub: ModelStub, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    if kind == "model process":
        pytest.skip("a child process has the environment it was started with")
    monkeypatch.delenv("TANDEM_TEST_KEY", raising=False)
    client = client_for(model_stub, apiKeyEnv="TANDEM_TEST_KEY")
    await ask(client)
    assert model_stub.requests[-1].headers["authorization"] == "Bearer not-set"
    monkeypatch.setenv("TANDEM_TEST_KEY", "sk-later")
    await ask(client)
    assert model_stub.requests[-1].headers["authorization"] == "Bearer sk-later"
    await client.close()


# -- endpoints that reject parts of a request ---------------------------------------


async def test_an_endpoint_rejecting_stream_options_is_asked_again_without(
    model_stub: ModelStub,
) -> None:
    model_stub.reject_stream_options = True
    client = client_for(model_stub)
    result = await client.stream_chat(QUESTION, lambda _d: None)
    assert result.text.startswith("Echo:") and result.usage is None
    assert len(model_stub.chat_requests()) == 2
    assert "stream_options" not in model_stub.last_body()
    await ask(client)  # remembered: no second rejection
    assert len(model_stub.chat_requests()) == 3
    await client.close()


async def test_max_completion_tokens_is_used_when_max_tokens_is_refused(
    model_stub: ModelStub,
) -> None:
    refusal = "Unsupported parameter: 'max_tokens'. Use 'max_completion_tokens' instead."
    model_stub.script(Status(400, message=refusal))
    client = client_for(model_stub, maxOutputTokens=99)
    await ask(client)
    await client.close()
    body = model_stub.last_body()
    assert body["max_completion_tokens"] == 99 and "max_tokens" not in body


async def test_another_400_is_reported_with_the_servers_words(model_stub: ModelStub) -> None:
    model_stub.script(Status(400, message="context length exceeded"))
    error = await failure(client_for(model_stub))
    assert error.code == "bad_request" and error.status == 400
    assert str(error) == f"400 from {model_stub.url}: context length exceeded"
    assert len(model_stub.chat_requests()) == 1


# -- retries and faults -------------------------------------------------------------


async def test_429_waits_for_retry_after_then_succeeds(model_stub: ModelStub) -> None:
    model_stub.script(Status(429, retry_after=0.3), Reply(chunks=["ok"]))
    client = client_for(model_stub, maxRetries=2)
    assert await ask(client) == "ok"
    await client.close()
    first, second = model_stub.chat_requests()
    assert second.at - first.at >= 0.3
    assert second.headers["x-stainless-retry-count"] == "1"


async def test_429_after_every_retry_is_rate_limited(model_stub: ModelStub) -> None:
    model_stub.script(*[Status(429, retry_after=0.01)] * 2)
    error = await failure(client_for(model_stub, maxRetries=1))
    assert error.code == "rate_limited"
    assert str(error).startswith(f"429 from {model_stub.url}: rate limited (after 1 retries)")
    assert len(model_stub.chat_requests()) == 2


async def test_5xx_after_every_retry_is_a_server_error(model_stub: ModelStub) -> None:
    model_stub.script(*[Status(500, message="the GPU fell over")] * 2)
    error = await failure(client_for(model_stub, maxRetries=1))
    assert error.code == "server_error" and error.status == 500
    assert str(error) == (
        f"500 from {model_stub.url}: the server failed (after 1 retries): the GPU fell over"
    )
    assert len(model_stub.chat_requests()) == 2


async def test_401_names_the_key_variable_never_the_key(
    model_stub: ModelStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    model_stub.api_key = "sk-right"
    monkeypatch.setenv("TEAM_KEY", "sk-wrong-secret")
    error = await failure(client_for(model_stub, apiKeyEnv="TEAM_KEY"))
    assert error.code == "auth"
    assert str(error) == (
        f"401 from {model_stub.url}: check the API key in the variable named by "
        "model.apiKeyEnv (TEAM_KEY)"
    )
    assert "sk-wrong-secret" not in str(error)
    assert len(model_stub.chat_requests()) == 1  # not retried


async def test_401_says_when_the_key_variable_is_unset(
    model_stub: ModelStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    model_stub.api_key = "sk-right"
    error = await failure(client_for(model_stub))
    assert str(error).endswith("(OPENAI_API_KEY; it is not set)")


async def test_an_unknown_model_suggests_listing_models(model_stub: ModelStub) -> None:
    model_stub.script(Status(404))
    error = await failure(client_for(model_stub, name="llama9"))
    assert error.code == "not_found"
    assert str(error).startswith(f"404 from {model_stub.url}: model 'llama9' was not found")
    assert "tandem.listModels" in str(error)


async def test_a_refused_connection_names_the_url() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1"
    client = make(ModelSettings(baseUrl=url, maxRetries=0))
    error = await failure(client)
    assert error.code == "unreachable" and error.endpoint == url
    assert str(error) == f"cannot reach {url}: is the server running?"
    assert isinstance(error, ModelError)


async def test_a_silent_server_times_out(model_stub: ModelStub) -> None:
    model_stub.script(Hang(seconds=5))
    error = await failure(client_for(model_stub, timeoutSeconds=0.3, maxRetries=0))
    assert error.code == "timeout"
    assert str(error) == f"no answer from {model_stub.url} within 0.3 s (model.timeoutSeconds)"
    assert model_stub.wait_disconnected(timeout=2) is not None  # the hang was abandoned


async def test_a_stream_that_stalls_times_out_keeping_the_partial_text(
    model_stub: ModelStub,
) -> None:
    model_stub.script(Stall(chunks=["half ", "an answer"], seconds=5))
    error = await failure(client_for(model_stub, timeoutSeconds=0.3, maxRetries=0))
    assert error.code == "timeout" and error.partial_text == "half an answer"


async def test_a_malformed_chunk_is_a_bad_stream_keeping_the_partial_text(
    model_stub: ModelStub,
) -> None:
    model_stub.script(Malformed(chunks=["so far ", "so good"]))
    error = await failure(client_for(model_stub))
    assert error.code == "bad_stream" and error.partial_text == "so far so good"
    assert str(error).startswith(f"{model_stub.url} sent a stream chunk that is not valid JSON")


async def test_an_error_event_mid_stream_is_a_server_error_keeping_the_partial_text(
    model_stub: ModelStub,
) -> None:
    model_stub.script(StreamError(chunks=["begun "], message="out of memory"))
    error = await failure(client_for(model_stub))
    assert error.code == "server_error" and error.partial_text == "begun "
    assert str(error) == f"{model_stub.url} reported an error: out of memory"


async def test_a_dropped_connection_is_a_bad_stream_keeping_the_partial_text(
    model_stub: ModelStub,
) -> None:
    model_stub.script(Truncate(after_chunks=2, chunks=["one ", "two ", "three"]))
    deltas: list[str] = []
    client = client_for(model_stub)
    error = await failure(client, client.stream_chat(QUESTION, deltas.append))
    assert error.code == "bad_stream" and error.partial_text == "one two " == "".join(deltas)
    assert str(error) == (
        f"the connection to {model_stub.url} dropped before the answer was complete "
        "(8 characters received)"
    )
    assert len(model_stub.chat_requests()) == 1  # content was delivered: never retried


async def test_a_stream_ending_without_a_finish_is_a_bad_stream(model_stub: ModelStub) -> None:
    model_stub.script(Truncate(after_chunks=1, chunks=["only this"], graceful=True))
    error = await failure(client_for(model_stub))
    assert error.code == "bad_stream" and error.partial_text == "only this"
    assert "ended before it was complete" in str(error)


# -- cancellation ---------------------------------------------------------------------


async def test_cancelling_mid_stream_closes_the_model_connection(model_stub: ModelStub) -> None:
    model_stub.script(SlowStream(chunks=["tick "] * 200, delay=0.05))  # 10 s if left alone
    client = client_for(model_stub)
    first = asyncio.Event()
    deltas: list[str] = []

    def on_delta(delta: str) -> None:
        deltas.append(delta)
        first.set()

    task = asyncio.create_task(client.stream_chat(QUESTION, on_delta))
    await asyncio.wait_for(first.wait(), timeout=5)
    cancelled_at = time.monotonic()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    left_at = await asyncio.to_thread(model_stub.wait_disconnected, 1.0)
    assert left_at is not None, "the stub never saw the client close the stream"
    assert left_at - cancelled_at < 1.0
    assert 0 < len(deltas) < 200
    assert await ask(client)  # the client is still usable
    await client.close()


async def test_cancelling_while_waiting_for_an_answer_closes_the_connection(
    model_stub: ModelStub,
) -> None:
    model_stub.script(Hang(seconds=10))
    client = client_for(model_stub)
    task = asyncio.create_task(ask(client))
    assert await asyncio.to_thread(model_stub.wait_requests, 1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await asyncio.to_thread(model_stub.wait_disconnected, 1.0) is not None
    await client.close()


# -- models and embeddings --------------------------------------------------------------


async def test_list_models(model_stub: ModelStub) -> None:
    model_stub.models = ["llama3.2", "qwen2.5-coder"]
    client = client_for(model_stub)
    assert await client.list_models() == ["llama3.2", "qwen2.5-coder"]
    await client.close()
    assert model_stub.requests[-1].method == "GET"


async def test_list_models_failure_points_at_the_base_url(model_stub: ModelStub) -> None:
    model_stub.script(Status(404), route="models")
    client = client_for(model_stub)
    error = await failure(client, client.list_models())
    assert error.code == "not_found" and "check model.baseUrl" in str(error)


async def test_embed_returns_stable_vectors_in_order(model_stub: ModelStub) -> None:
    client = client_for(model_stub)
    texts = ["parse the config", "parse the config", "render a widget"]
    vectors = await client.embed(texts, "stub-embed")
    again = await client.embed(texts[2:], "stub-embed")
    assert len(vectors) == 3 and all(len(v) == 64 for v in vectors)
    assert vectors[0] == vectors[1] != vectors[2]
    assert again[0] == vectors[2]
    assert model_stub.last_body("embeddings")["input"] == texts[2:]
    assert await client.embed([], "stub-embed") == []
    assert len(model_stub.requests) == 2  # nothing to embed: no request
    await client.close()


async def test_an_unknown_embedding_model_names_the_setting(model_stub: ModelStub) -> None:
    model_stub.script(Status(404), route="embeddings")
    client = client_for(model_stub)
    error = await failure(client, client.embed(["x"], "nomic-embed"))
    assert error.code == "not_found" and "'nomic-embed'" in str(error)
    assert "embedding model" in str(error)


async def test_closing_the_client_mid_stream_ends_the_stream(model_stub: ModelStub) -> None:
    """A settings change replaces the client while an answer streams: that answer
    must end (with an error or as cancelled), never wait forever on a stopped loop."""
    model_stub.script(SlowStream(chunks=["tick "] * 200, delay=0.05))
    client = client_for(model_stub)
    first = asyncio.Event()
    task = asyncio.create_task(client.stream_chat(QUESTION, lambda _d: first.set()))
    await asyncio.wait_for(first.wait(), timeout=5)
    await asyncio.wait_for(client.close(), timeout=10)
    with pytest.raises((ModelError, asyncio.CancelledError)):
        await asyncio.wait_for(task, timeout=5)
    assert await asyncio.to_thread(model_stub.wait_disconnected, 1.0) is not None


async def test_deltas_reach_the_callers_loop_in_order_before_the_result(
    model_stub: ModelStub,
) -> None:
    model_stub.script(Reply(chunks=[f"{n} " for n in range(100)]))
    client = client_for(model_stub)
    loop, seen = asyncio.get_running_loop(), []

    def on_delta(delta: str) -> None:
        assert asyncio.get_running_loop() is loop  # called on the caller's loop
        seen.append(delta)

    result = await client.stream_chat(QUESTION, on_delta)
    await client.close()
    assert "".join(seen) == result.text == "".join(f"{n} " for n in range(100))


# -- the model process ------------------------------------------------------------------


async def test_a_model_process_that_dies_fails_its_calls_and_is_started_again(
    model_stub: ModelStub, kind: str
) -> None:
    if kind != "model process":
        pytest.skip("only the model process can die on its own")
    model_stub.script(SlowStream(chunks=["tick "] * 200, delay=0.05))
    client = ModelProcess(model_stub.model_settings())
    first = asyncio.Event()
    task = asyncio.create_task(client.stream_chat(QUESTION, lambda _d: first.set()))
    await asyncio.wait_for(first.wait(), timeout=10)
    child = client._child
    assert child is not None
    child.kill()
    with pytest.raises(ModelError) as caught:
        await asyncio.wait_for(task, timeout=5)
    assert "model process stopped" in str(caught.value)
    assert not isinstance(caught.value, ModelEndpointError)
    assert (await ask(client)).startswith("Echo:")  # a new child answers
    assert client._child is not None and client._child.pid != child.pid
    await client.close()


async def test_a_closed_model_process_leaves_no_child(model_stub: ModelStub, kind: str) -> None:
    if kind != "model process":
        pytest.skip("no child in-process")
    client = ModelProcess(model_stub.model_settings())
    await ask(client)
    child = client._child
    assert child is not None
    mine = os.getpriority(os.PRIO_PROCESS, 0)
    assert os.getpriority(os.PRIO_PROCESS, child.pid) == min(19, mine + NICENESS)
    await client.close()
    assert child.returncode is not None
