import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ChatState } from "../../src/chatState";
import type { ChatResult, TranscriptMessage } from "../../src/protocol";

const S = "session-1";

function result(turnId: string, text: string, extra: Partial<ChatResult> = {}): ChatResult {
  return {
    sessionId: S,
    turnId,
    text,
    status: "complete",
    usage: { promptTokens: 100, completionTokens: 20, totalTokens: 120 },
    manifest: { totalTokens: 100, budget: 1000, items: 3, dropped: 1, redactions: 0 },
    error: null,
    ...extra,
  };
}

function message(seq: number, role: string, content: string, turnId: string | null, status = "complete"): TranscriptMessage {
  return {
    id: `m${seq}`,
    seq,
    role,
    content,
    status: status as TranscriptMessage["status"],
    created: "2024-01-01T00:00:00Z",
    model: role === "assistant" ? "gpt-x" : null,
    usage: null,
    turnId,
    error: null,
  };
}

describe("ChatState", () => {
  test("a question asked here is named by 'started', streams, then completes", () => {
    const state = new ChatState();
    const local = state.addLocal("why?");
    assert.equal(local.state, "thinking");
    assert.ok(state.busy);
    const started = state.onStatus({ turnId: "t1", sessionId: S, status: "started", prompt: "why?" });
    assert.deepEqual(started, [{ kind: "turn", turn: local, replaces: "local-1" }]);
    assert.equal(local.id, "t1");
    assert.deepEqual(state.runningTurnIds(), ["t1"]);
    assert.deepEqual(state.onDelta({ turnId: "t1", sessionId: S, delta: "Be" }), [{ kind: "turn", turn: local }]);
    assert.equal(local.state, "streaming");
    assert.deepEqual(state.onDelta({ turnId: "t1", sessionId: S, delta: "cause" }), [{ kind: "delta", id: "t1", delta: "cause" }]);
    assert.equal(local.text, "Because");
    state.onStatus({ turnId: "t1", sessionId: S, status: "complete" });
    state.onResult(result("t1", "Because."), "local-1", "gpt-x");
    assert.equal(local.state, "complete");
    assert.equal(local.text, "Because.");
    assert.equal(local.context, "100 / 1,000 tokens · 3 items · 1 dropped");
    assert.equal(local.footer, "gpt-x · 120 tokens");
    assert.ok(!state.busy);
    assert.equal(state.list().length, 1);
  });

  test("a turn started elsewhere (the code action) is added", () => {
    const state = new ChatState();
    const changes = state.onStatus({ turnId: "t9", sessionId: S, status: "started", prompt: "Explain this code." });
    assert.equal(changes.length, 1);
    assert.equal(state.get("t9")?.prompt, "Explain this code.");
    state.onDelta({ turnId: "t9", sessionId: S, delta: "It adds." });
    state.onStatus({ turnId: "t9", sessionId: S, status: "complete" });
    assert.equal(state.get("t9")?.state, "complete");
    assert.equal(state.get("t9")?.text, "It adds.");
  });

  test("a result without a 'started' still names the local turn", () => {
    const state = new ChatState();
    state.addLocal("q");
    const changes = state.onResult(result("t2", "a"), "local-1");
    assert.equal(changes[0].kind, "turn");
    assert.equal(state.get("t2")?.text, "a");
    assert.equal(state.list().length, 1);
  });

  test("a local turn whose prompt the server rewrote is dropped for the server's turn", () => {
    const state = new ChatState();
    state.addLocal("q");
    state.onStatus({ turnId: "t3", sessionId: S, status: "started", prompt: "different" });
    assert.equal(state.list().length, 2);
    const changes = state.onResult(result("t3", "a"), "local-1");
    assert.deepEqual(changes[0], { kind: "remove", id: "local-1" });
    assert.deepEqual(
      state.list().map((t) => t.id),
      ["t3"],
    );
  });

  test("cancel and error end the turn with what arrived", () => {
    const state = new ChatState();
    state.onStatus({ turnId: "t", sessionId: S, status: "started", prompt: "p" });
    state.onDelta({ turnId: "t", sessionId: S, delta: "half" });
    state.onStatus({ turnId: "t", sessionId: S, status: "cancelled" });
    assert.equal(state.get("t")?.state, "cancelled");
    assert.equal(state.get("t")?.text, "half");
    state.onStatus({ turnId: "u", sessionId: S, status: "started", prompt: "p2" });
    state.onStatus({ turnId: "u", sessionId: S, status: "error", message: "endpoint down" });
    assert.equal(state.get("u")?.error, "endpoint down");
    assert.ok(!state.busy);
  });

  test("a failed request marks its local turn", () => {
    const state = new ChatState();
    const local = state.addLocal("q");
    state.fail(local.id, "boom");
    assert.equal(local.state, "error");
    assert.equal(local.error, "boom");
    assert.deepEqual(state.fail(local.id, "again"), []);
  });

  test("a turn in another session (after a reset) starts a fresh list", () => {
    const state = new ChatState();
    state.load({ sessionId: S, title: null, messages: [message(1, "user", "old", "t0"), message(2, "assistant", "ans", "t0")] });
    state.addLocal("new question");
    const changes = state.onStatus({ turnId: "t1", sessionId: "session-2", status: "started", prompt: "new question" });
    assert.equal(changes[0].kind, "reset");
    assert.equal(state.sessionId, "session-2");
    assert.deepEqual(
      state.list().map((t) => [t.id, t.prompt]),
      [["t1", "new question"]],
    );
  });

  test("deltas of unknown turns are ignored", () => {
    assert.deepEqual(new ChatState().onDelta({ turnId: "x", sessionId: S, delta: "d" }), []);
  });

  test("loading a transcript keeps turns still running here", () => {
    const state = new ChatState();
    state.addLocal("running");
    state.load({ sessionId: S, title: null, messages: [message(1, "user", "old", "t0"), message(2, "assistant", "ans", "t0")] });
    assert.deepEqual(
      state.list().map((t) => t.prompt),
      ["old", "running"],
    );
  });
});
