/**
 * Messages between the extension and the chat webview. The extension owns the chat
 * state; the webview renders it and reports what the user did.
 */

/** `thinking`: asked, no answer text yet. `partial`: the server stopped mid-answer. */
export type TurnState = "thinking" | "streaming" | "complete" | "cancelled" | "error" | "partial";

export interface TurnView {
  /** The server's turn id, or a local id until the server names the turn. */
  id: string;
  prompt: string;
  text: string;
  state: TurnState;
  error?: string;
  /** One line about the context sent ("1,200 / 123,000 tokens · 14 items · 3 dropped"). */
  context?: string;
  /** One line about the answer (model, tokens). */
  footer?: string;
}

export interface SessionOption {
  id: string;
  label: string;
}

export type ToView =
  | {
      type: "snapshot";
      turns: TurnView[];
      sessions: SessionOption[];
      activeSessionId: string | null;
      busy: boolean;
    }
  /** Adds or updates a turn; `replaces` renames a local turn the server has now named. */
  | { type: "turn"; turn: TurnView; replaces?: string }
  | { type: "removeTurn"; id: string }
  | { type: "delta"; id: string; delta: string }
  | { type: "busy"; busy: boolean }
  | { type: "sessions"; sessions: SessionOption[]; activeSessionId: string | null }
  | { type: "contextDetail"; id: string; markdown: string }
  | { type: "notice"; text: string }
  | { type: "focusInput" };

export type FromView =
  | { type: "ready" }
  | { type: "ask"; prompt: string }
  | { type: "cancel" }
  | { type: "copy"; code: string }
  | { type: "insert"; code: string }
  | { type: "newSession" }
  | { type: "switchSession"; sessionId: string }
  | { type: "context"; id: string };

const FROM_VIEW_TYPES = new Set([
  "ready",
  "ask",
  "cancel",
  "copy",
  "insert",
  "newSession",
  "switchSession",
  "context",
]);

/** Narrows an untrusted webview message; anything malformed is dropped. */
export function parseFromView(raw: unknown): FromView | undefined {
  if (typeof raw !== "object" || raw === null) return undefined;
  const msg = raw as Record<string, unknown>;
  if (typeof msg.type !== "string" || !FROM_VIEW_TYPES.has(msg.type)) return undefined;
  const stringField: Record<string, string> = {
    ask: "prompt",
    copy: "code",
    insert: "code",
    switchSession: "sessionId",
    context: "id",
  };
  const field = stringField[msg.type];
  if (field !== undefined && typeof msg[field] !== "string") return undefined;
  return msg as unknown as FromView;
}
