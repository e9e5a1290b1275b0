import assert from "node:assert/strict";
import { test } from "node:test";
import type { TranscriptMessage } from "../../src/protocol";
import { answerFooter, turnsFromTranscript } from "../../src/transcript";

function msg(seq: number, role: string, content: string, turnId: string | null, extra: Partial<TranscriptMessage> = {}): TranscriptMessage {
  return {
    id: `m${seq}`,
    seq,
    role,
    content,
    status: "complete",
    created: "2024-01-01T00:00:00Z",
    model: null,
    usage: null,
    turnId,
    error: null,
    ...extra,
  };
}

test("user and assistant messages pair up by turn, in order", () => {
  const turns = turnsFromTranscript([
    msg(4, "assistant", "second answer", "b", { status: "cancelled" }),
    msg(1, "user", "first", "a"),
    msg(2, "assistant", "first answer", "a", {
      model: "m",
      usage: { promptTokens: 1, completionTokens: 2, totalTokens: 3 },
      manifest: { totalTokens: 5, budget: 9, items: 1, dropped: 0, redactions: 0 },
    }),
    msg(3, "user", "second", "b"),
    msg(5, "system", "summary", null),
  ]);
  assert.deepEqual(turns, [
    { id: "a", prompt: "first", text: "first answer", state: "complete", footer: "m · 3 tokens", context: "5 / 9 tokens · 1 item" },
    { id: "b", prompt: "second", text: "second answer", state: "cancelled" },
  ]);
});

test("messages without turn ids pair with the next answer; errors and partial answers show", () => {
  const turns = turnsFromTranscript([
    msg(1, "user", "q1", null),
    msg(2, "assistant", "", null, { status: "error", error: "endpoint down" }),
    msg(3, "user", "q2", null),
    msg(4, "assistant", "half", null, { status: "partial" }),
    msg(5, "user", "unanswered", null),
  ]);
  assert.deepEqual(
    turns.map((t) => [t.id, t.prompt, t.text, t.state, t.error]),
    [
      ["m1", "q1", "", "error", "endpoint down"],
      ["m3", "q2", "half", "partial", undefined],
      ["m5", "unanswered", "", "partial", undefined],
    ],
  );
});

test("answerFooter", () => {
  assert.equal(answerFooter("gpt", { promptTokens: 1000, completionTokens: 234, totalTokens: 1234 }), "gpt · 1,234 tokens");
  assert.equal(answerFooter(null, null), "");
});
