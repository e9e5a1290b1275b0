/**
 * The chat's behaviour: asks, streams, cancels, sessions and reset, independent of
 * VS Code (it talks to the `Host`, `ServerApi` and `ChatView` interfaces).
 */

import { type Change, ChatState } from "./chatState";
import { formatPreview, formatPreviewDocument } from "./manifest";
import {
  type ChatPhase,
  type ChatView,
  type Host,
  type ServerApi,
  type ServerPhase,
  type StatusSink,
  ServerError,
} from "./ports";
import {
  type AskAboutSelectionArgs,
  type ChatArgs,
  type ChatDeltaParams,
  type ChatResult,
  type ChatStatusParams,
  Commands,
  ErrorCodes,
  type ListModelsResult,
  type ListSessionsResult,
  type PreviewContextResult,
  type ResetResult,
  type StatusResult,
  type Transcript,
} from "./protocol";
import { sessionOptions } from "./sessions";
import type { FromView, SessionOption, ToView } from "./viewMessages";

const DEFAULT_QUESTION = "Explain this code.";

function isChatResult(value: unknown): value is ChatResult {
  return typeof value === "object" && value !== null && "turnId" in value && "status" in value;
}

export class ChatController {
  private readonly state = new ChatState();
  private sessions: SessionOption[] = [];
  private activeSessionId: string | null = null;
  private readonly requests = new Set<AbortController>();
  private server: ServerPhase = "starting";
  private lastError: string | undefined;
  private serverStatus: StatusResult | undefined;
  private lastPrompt = "";

  constructor(
    private readonly api: ServerApi,
    private readonly host: Host,
    private readonly view: ChatView,
    private readonly status: StatusSink,
  ) {}

  // ----- server lifecycle -----

  async serverStarted(): Promise<void> {
    this.server = "running";
    this.updateStatus();
    await Promise.all([this.refreshStatus(), this.refresh()]);
  }

  serverStopped(phase: "stopped" | "failed", detail?: string): void {
    this.server = phase;
    this.lastError = detail;
    for (const request of this.requests) request.abort();
    this.updateStatus();
  }

  async refreshStatus(): Promise<void> {
    try {
      this.serverStatus = await this.api.command<StatusResult>(Commands.status, {});
    } catch (error) {
      this.lastError = this.describe(error);
    }
    this.updateStatus();
  }

  // ----- the view -----

  async onViewMessage(message: FromView): Promise<void> {
    switch (message.type) {
      case "ready":
        return this.postSnapshot();
      case "ask":
        return this.ask(message.prompt);
      case "cancel":
        return this.cancel();
      case "copy":
        return this.host.copy(message.code);
      case "insert":
        return this.insert(message.code);
      case "newSession":
        return this.newSession();
      case "switchSession":
        return this.switchSession(message.sessionId);
      case "context":
        return this.contextDetail(message.id);
    }
  }

  /** Reloads the active session's transcript and the session list from the server. */
  async refresh(): Promise<void> {
    try {
      const [transcript, sessions] = await Promise.all([
        this.api.command<Transcript>(Commands.getTranscript, {}),
        this.api.command<ListSessionsResult>(Commands.listSessions, {}),
      ]);
      this.state.load(transcript);
      this.setSessions(sessions);
    } catch (error) {
      this.notice(`Could not load the chat history: ${this.describe(error)}`);
    }
    this.postSnapshot();
  }

  // ----- chat -----

  async ask(prompt: string): Promise<void> {
    const text = prompt.trim();
    if (text === "") return;
    this.lastPrompt = text;
    const turn = this.state.addLocal(text);
    this.apply([{ kind: "turn", turn }]);
    const editor = this.host.activeEditor();
    const args: ChatArgs = { prompt: text };
    if (editor?.isFile) args.uri = editor.uri;
    try {
      const result = await this.request<ChatResult>(Commands.chat, args);
      this.apply(this.state.onResult(result, turn.id, this.serverStatus?.model));
      this.afterTurn(result);
    } catch (error) {
      this.apply(this.failure(turn.id, error));
    }
  }

  /** "Tandem: Ask About Selection": the selection of the active editor, and a question. */
  async askAboutSelection(): Promise<void> {
    const editor = this.host.activeEditor();
    if (editor === undefined || editor.selection === null || !editor.isFile) {
      this.host.showInfo("Tandem: select some code in a file first.");
      return;
    }
    const question = await this.host.askInput({
      title: "Ask Tandem about the selection",
      prompt: "Your question (Enter alone asks to explain the code)",
      placeHolder: DEFAULT_QUESTION,
    });
    if (question === undefined) return;
    const args: AskAboutSelectionArgs = { uri: editor.uri, range: editor.selection };
    if (question.trim() !== "") args.question = question.trim();
    await this.runTracked(() => this.request<ChatResult>(Commands.askAboutSelection, args));
  }

  /**
   * A chat command run on the server for someone else (the code action's lightbulb):
   * the turn shows through its notifications; its result adds the context summary.
   */
  async runTracked(run: () => Promise<unknown>): Promise<unknown> {
    await this.host.revealChat(true);
    try {
      const result = await run();
      if (isChatResult(result)) {
        this.apply(this.state.onResult(result, undefined, this.serverStatus?.model));
        this.afterTurn(result);
      }
      return result;
    } catch (error) {
      if (!this.isCancelled(error)) this.reportError(error);
      this.updateStatus();
      return undefined;
    }
  }

  /** Stop: cancels the running turns by id, or the requests the server has not named yet. */
  async cancel(): Promise<void> {
    const running = this.state.runningTurnIds();
    if (running.length === 0) {
      for (const request of this.requests) request.abort();
      return;
    }
    await Promise.all(
      running.map((turnId) =>
        this.api.command(Commands.cancel, { turnId }).catch((error: unknown) => this.reportError(error)),
      ),
    );
  }

  onChatStatus(params: ChatStatusParams): void {
    const changes = this.state.onStatus(params);
    this.apply(changes);
    const foreign = changes.some((c) => c.kind === "turn" && c.replaces === undefined && c.turn.id === params.turnId);
    if (params.status === "started" && foreign) void this.host.revealChat(true);
    if (params.status === "error") this.lastError = params.message;
    if (params.status === "started") this.lastError = undefined;
  }

  onChatDelta(params: ChatDeltaParams): void {
    this.apply(this.state.onDelta(params));
  }

  // ----- sessions -----

  async newSession(): Promise<void> {
    await this.guard(async () => {
      const { sessionId } = await this.api.command<{ sessionId: string }>(Commands.newSession, {});
      this.state.clear(sessionId);
      await this.refresh();
    });
  }

  async switchSession(sessionId: string): Promise<void> {
    await this.guard(async () => {
      await this.api.command(Commands.switchSession, { sessionId });
      await this.refresh();
    });
  }

  /** "Tandem: Switch Session": a quick pick of the sessions, with "New session" first. */
  async pickSession(): Promise<void> {
    await this.guard(async () => {
      const list = await this.api.command<ListSessionsResult>(Commands.listSessions, {});
      const items = [
        { id: "", label: "$(add) New session" },
        ...sessionOptions(list.sessions).map((s) => ({
          id: s.id,
          label: s.label,
          description: s.id === list.activeSessionId ? "active" : undefined,
        })),
      ];
      const chosen = await this.host.pick(items, "Switch to a Tandem session");
      if (chosen === undefined) return;
      await (chosen === "" ? this.newSession() : this.switchSession(chosen));
      await this.host.revealChat(false);
    });
  }

  async resetWorkspace(): Promise<void> {
    const choice = await this.host.confirm(
      "Reset Tandem's history for this workspace?",
      "Archive keeps the old sessions readable but out of future context. Delete removes them for good. " +
        "The next question starts a fresh session.",
      ["Archive", "Delete"],
    );
    if (choice === undefined) return;
    await this.guard(async () => {
      const mode = choice === "Delete" ? "delete" : "archive";
      const result = await this.api.command<ResetResult>(Commands.resetWorkspace, { mode });
      this.state.clear(null);
      await this.refresh();
      const verb = result.mode === "delete" ? "deleted" : "archived";
      this.host.showInfo(`Tandem: ${result.sessions} session${result.sessions === 1 ? "" : "s"} ${verb}.`);
    });
  }

  /** "Tandem: Select Model": the endpoint's models; the choice goes to `tandem.model.name`. */
  async selectModel(): Promise<void> {
    await this.guard(async () => {
      const { models } = await this.api.command<ListModelsResult>(Commands.listModels, {});
      if (models.length === 0) {
        this.host.showInfo("Tandem: the endpoint lists no models.");
        return;
      }
      const current = this.serverStatus?.model;
      const items = models.map((id) => ({ id, label: id, description: id === current ? "current" : undefined }));
      const chosen = await this.host.pick(items, "The model Tandem asks");
      if (chosen === undefined) return;
      await this.host.updateSetting("model.name", chosen);
      await this.refreshStatus();
    });
  }

  // ----- context -----

  /** "Tandem: Show Context": the request Tandem would send, as a markdown document. */
  async showContext(): Promise<void> {
    const prompt = await this.host.askInput({
      title: "Show Tandem's context",
      prompt: "The question to assemble the context for",
      value: this.lastPrompt,
    });
    if (prompt === undefined || prompt.trim() === "") return;
    await this.guard(async () => {
      const preview = await this.preview(prompt.trim(), true);
      await this.host.openMarkdown(formatPreviewDocument(preview, prompt.trim()));
    });
  }

  private async contextDetail(id: string): Promise<void> {
    const turn = this.state.get(id);
    if (turn === undefined) return;
    let markdown: string;
    try {
      const preview = await this.preview(turn.prompt, false);
      markdown =
        "_Assembled now for the same question; the workspace may have changed since._\n\n" +
        formatPreview(preview, turn.prompt, false);
    } catch (error) {
      markdown = `Could not assemble the context: ${this.describe(error)}`;
    }
    this.post({ type: "contextDetail", id, markdown });
  }

  private preview(prompt: string, withSelection: boolean): Promise<PreviewContextResult> {
    const editor = this.host.activeEditor();
    const args: ChatArgs = { prompt };
    if (editor?.isFile) args.uri = editor.uri;
    if (withSelection && editor?.isFile && editor.selection) args.range = editor.selection;
    return this.api.command<PreviewContextResult>(Commands.previewContext, args);
  }

  // ----- helpers -----

  private async insert(code: string): Promise<void> {
    if (!(await this.host.insertAtCursor(code))) this.host.showInfo("Tandem: open an editor to insert the code into.");
  }

  private async request<T>(name: string, args: object): Promise<T> {
    const abort = new AbortController();
    this.requests.add(abort);
    this.updateStatus();
    try {
      return await this.api.command<T>(name, args, abort.signal);
    } finally {
      this.requests.delete(abort);
      this.updateStatus();
    }
  }

  private failure(turnId: string, error: unknown): Change[] {
    if (this.isCancelled(error)) return this.state.fail(turnId, "", "cancelled");
    const message = this.describe(error);
    this.lastError = message;
    this.reportError(error);
    return this.state.fail(turnId, message);
  }

  private afterTurn(result: ChatResult): void {
    this.lastError = result.status === "error" ? (result.error ?? undefined) : undefined;
    if (result.sessionId !== this.activeSessionId) void this.refreshSessions();
    this.updateStatus();
  }

  private async refreshSessions(): Promise<void> {
    try {
      this.setSessions(await this.api.command<ListSessionsResult>(Commands.listSessions, {}));
      this.post({ type: "sessions", sessions: this.sessions, activeSessionId: this.activeSessionId });
    } catch (error) {
      this.notice(`Could not list the sessions: ${this.describe(error)}`);
    }
  }

  private setSessions(list: ListSessionsResult): void {
    this.sessions = sessionOptions(list.sessions);
    this.activeSessionId = list.activeSessionId;
  }

  private async guard(work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (error) {
      this.reportError(error);
    }
  }

  private isCancelled(error: unknown): boolean {
    return error instanceof ServerError && error.code === ErrorCodes.requestCancelled;
  }

  private describe(error: unknown): string {
    return error instanceof Error ? error.message : String(error);
  }

  private reportError(error: unknown): void {
    void this.host.showError(`Tandem: ${this.describe(error)}`);
  }

  private notice(text: string): void {
    this.post({ type: "notice", text });
  }

  private apply(changes: Change[]): void {
    for (const change of changes) {
      if (change.kind === "reset") {
        this.postSnapshot();
        void this.refreshSessions();
      } else if (change.kind === "turn") this.post({ type: "turn", turn: change.turn, replaces: change.replaces });
      else if (change.kind === "delta") this.post({ type: "delta", id: change.id, delta: change.delta });
      else this.post({ type: "removeTurn", id: change.id });
    }
    this.post({ type: "busy", busy: this.busy });
    this.updateStatus();
  }

  private get busy(): boolean {
    return this.state.busy || this.requests.size > 0;
  }

  private postSnapshot(): void {
    this.post({
      type: "snapshot",
      turns: this.state.list().map((turn) => ({ ...turn })),
      sessions: this.sessions,
      activeSessionId: this.activeSessionId,
      busy: this.busy,
    });
  }

  private post(message: ToView): void {
    this.view.post(message);
  }

  private chatPhase(): ChatPhase {
    const states = this.state.list().map((turn) => turn.state);
    if (states.includes("streaming")) return "streaming";
    if (states.includes("thinking") || this.requests.size > 0) return "thinking";
    return this.lastError ? "error" : "idle";
  }

  private updateStatus(): void {
    this.status.show({
      server: this.server,
      chat: this.chatPhase(),
      model: this.serverStatus?.model,
      endpoint: this.serverStatus?.endpoint,
      detail: this.lastError,
    });
  }
}
