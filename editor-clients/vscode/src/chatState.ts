/**
 * The chat as the view shows it: turns of the displayed session, updated from the
 * server's `tandem/chatStatus` and `tandem/chatDelta` notifications and from results.
 *
 * A question asked from the view shows at once as a local turn; the server's
 * "started" notification (same prompt) or the result then names it. Turns started
 * elsewhere (the code action, another extension) arrive as "started" and are added.
 */

import { formatSummary } from "./manifest";
import type { ChatDeltaParams, ChatResult, ChatStatusParams, Transcript } from "./protocol";
import { answerFooter, turnsFromTranscript } from "./transcript";
import type { TurnState, TurnView } from "./viewMessages";

const RUNNING: ReadonlySet<TurnState> = new Set(["thinking", "streaming"]);

export type Change =
  | { kind: "turn"; turn: TurnView; replaces?: string }
  | { kind: "delta"; id: string; delta: string }
  | { kind: "remove"; id: string }
  | { kind: "reset" };

export class ChatState {
  sessionId: string | null = null;
  private turns: TurnView[] = [];
  private localIds = new Set<string>();
  private nextLocal = 1;

  list(): readonly TurnView[] {
    return this.turns;
  }

  get(id: string): TurnView | undefined {
    return this.turns.find((turn) => turn.id === id);
  }

  get busy(): boolean {
    return this.turns.some((turn) => RUNNING.has(turn.state));
  }

  /** Server turn ids of the turns still running. */
  runningTurnIds(): string[] {
    return this.turns.filter((t) => RUNNING.has(t.state) && !this.localIds.has(t.id)).map((t) => t.id);
  }

  isLocal(id: string): boolean {
    return this.localIds.has(id);
  }

  /** Replaces everything with a stored transcript (keeps turns still running here). */
  load(transcript: Transcript): void {
    const running = this.turns.filter((turn) => RUNNING.has(turn.state));
    const stored = turnsFromTranscript(transcript.messages);
    this.sessionId = transcript.sessionId;
    this.turns = [...stored.filter((t) => !running.some((r) => r.id === t.id)), ...running];
  }

  clear(sessionId: string | null): void {
    this.sessionId = sessionId;
    this.turns = [];
    this.localIds.clear();
  }

  /** A question asked here, shown before the server has named its turn. */
  addLocal(prompt: string): TurnView {
    const turn: TurnView = { id: `local-${this.nextLocal++}`, prompt, text: "", state: "thinking" };
    this.localIds.add(turn.id);
    this.turns.push(turn);
    return turn;
  }

  onStatus(params: ChatStatusParams): Change[] {
    if (params.status === "started") return this.started(params);
    const turn = this.get(params.turnId);
    if (turn === undefined) return [];
    if (params.status === "streaming") turn.state = "streaming";
    else turn.state = params.status;
    if (params.status === "error" && params.message) turn.error = params.message;
    return [{ kind: "turn", turn }];
  }

  onDelta(params: ChatDeltaParams): Change[] {
    const turn = this.get(params.turnId);
    if (turn === undefined) return [];
    turn.text += params.delta;
    if (turn.state === "thinking") {
      turn.state = "streaming";
      return [{ kind: "turn", turn }];
    }
    return [{ kind: "delta", id: turn.id, delta: params.delta }];
  }

  /** The final answer of a turn; `localId` is the local turn it answers, if asked here. */
  onResult(result: ChatResult, localId?: string, model?: string): Change[] {
    const changes: Change[] = [];
    let turn = this.get(result.turnId);
    const local = localId === undefined ? undefined : this.get(localId);
    if (turn === undefined && local !== undefined) {
      changes.push(...this.adopt(local, result.turnId));
      turn = local;
    } else if (local !== undefined && local !== turn) {
      changes.push(...this.removeTurn(local.id));
    }
    if (turn === undefined) return changes;
    turn.text = result.text;
    turn.state = result.status;
    if (result.error) turn.error = result.error;
    const context = formatSummary(result.manifest);
    if (context) turn.context = context;
    const footer = answerFooter(model, result.usage);
    if (footer) turn.footer = footer;
    return [...changes, { kind: "turn", turn }];
  }

  /** A request that failed before (or instead of) producing a turn. */
  fail(id: string, message: string, state: TurnState = "error"): Change[] {
    const turn = this.get(id);
    if (turn === undefined || !RUNNING.has(turn.state)) return [];
    turn.state = state;
    if (state === "error") turn.error = message;
    return [{ kind: "turn", turn }];
  }

  private started(params: ChatStatusParams): Change[] {
    const changes: Change[] = [];
    if (this.sessionId !== null && params.sessionId !== this.sessionId) {
      const pending = this.turns.filter((t) => this.localIds.has(t.id) && RUNNING.has(t.state));
      this.clear(params.sessionId);
      for (const turn of pending) {
        this.turns.push(turn);
        this.localIds.add(turn.id);
      }
      changes.push({ kind: "reset" });
    }
    this.sessionId = params.sessionId;
    const existing = this.get(params.turnId);
    if (existing !== undefined) return changes;
    const local = this.turns.find(
      (t) => this.localIds.has(t.id) && RUNNING.has(t.state) && (params.prompt === undefined || t.prompt === params.prompt),
    );
    if (local !== undefined) return [...changes, ...this.adopt(local, params.turnId)];
    const turn: TurnView = { id: params.turnId, prompt: params.prompt ?? "", text: "", state: "thinking" };
    this.turns.push(turn);
    return [...changes, { kind: "turn", turn }];
  }

  private adopt(local: TurnView, turnId: string): Change[] {
    const oldId = local.id;
    this.localIds.delete(oldId);
    local.id = turnId;
    return [{ kind: "turn", turn: local, replaces: oldId }];
  }

  private removeTurn(id: string): Change[] {
    this.turns = this.turns.filter((turn) => turn.id !== id);
    this.localIds.delete(id);
    return [{ kind: "remove", id }];
  }
}
