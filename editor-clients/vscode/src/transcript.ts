/** Turns a stored transcript into the chat view's turns. */

import { formatSummary } from "./manifest";
import type { TranscriptMessage, Usage } from "./protocol";
import type { TurnState, TurnView } from "./viewMessages";

const STATE_OF_MESSAGE: Record<string, TurnState> = {
  complete: "complete",
  partial: "partial",
  cancelled: "cancelled",
  error: "error",
};

/** One line under an answer: the model and the tokens it cost. */
export function answerFooter(model: string | null | undefined, usage: Usage | null | undefined): string {
  const parts: string[] = [];
  if (model) parts.push(model);
  if (usage) parts.push(`${usage.totalTokens.toLocaleString("en-US")} tokens`);
  return parts.join(" · ");
}

/**
 * Pairs each user message with the assistant message of the same turn (or, for
 * messages without a turn id, the assistant message that follows it). Other roles
 * (system notes, summaries) are not shown.
 */
export function turnsFromTranscript(messages: readonly TranscriptMessage[]): TurnView[] {
  const sorted = [...messages].sort((a, b) => a.seq - b.seq);
  const turns: TurnView[] = [];
  const byTurnId = new Map<string, TurnView>();
  let last: TurnView | undefined;
  for (const message of sorted) {
    if (message.role === "user") {
      last = { id: message.turnId ?? message.id, prompt: message.content, text: "", state: "partial" };
      turns.push(last);
      if (message.turnId) byTurnId.set(message.turnId, last);
    } else if (message.role === "assistant") {
      const turn = (message.turnId ? byTurnId.get(message.turnId) : undefined) ?? last;
      if (turn === undefined) continue;
      turn.text = message.content;
      turn.state = STATE_OF_MESSAGE[message.status] ?? "complete";
      if (message.error) turn.error = message.error;
      const footer = answerFooter(message.model, message.usage);
      if (footer) turn.footer = footer;
      const context = formatSummary(message.manifest);
      if (context) turn.context = context;
    }
  }
  return turns;
}
