/**
 * The chat controller against stand-ins for its three boundaries: VS Code's UI
 * (`Host`), the server process (`ServerApi`, answering like docs/protocol.md says)
 * and the webview (`ChatView`, which records what it was sent).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ChatController } from "../../src/controller";
import { type EditorSnapshot, type Host, type ServerApi, ServerError, type StatusSnapshot } from "../../src/ports";
import type { ChatResult } from "../../src/protocol";
import type { ToView } from "../../src/viewMessages";

interface Call {
  name: string;
  args: unknown;
  signal?: AbortSignal;
}

class Deferred<T> {
  resolve!: (value: T) => void;
  reject!: (error: unknown) => void;
  promise = new Promise<T>((resolve, reject) => {
    this.resolve = resolve;
    this.reject = reject;
  });
}

class Server implements ServerApi {
  calls: Call[] = [];
  pending = new Map<string, Deferred<unknown>>();
  answers: Record<string, unknown> = {
    "tandem.status": { model: "stub-model", endpoint: "http://127.0.0.1:1/v1" },
    "tandem.getTranscript": { sessionId: "s1", title: null, messages: [] },
    "tandem.listSessions": { activeSessionId: "s1", sessions: [] },
    "tandem.cancel": { cancelled: true },
  };

  command<T>(name: string, args?: object, signal?: AbortSignal): Promise<T> {
    this.calls.push({ name, args, signal });
    if (name in this.answers) return Promise.resolve(this.answers[name] as T);
    const deferred = new Deferred<unknown>();
    this.pending.set(name, deferred);
    signal?.addEventListener("abort", () => deferred.reject(new ServerError("cancelled", -32800)));
    return deferred.promise as Promise<T>;
  }

  named(name: string): Call[] {
    return this.calls.filter((call) => call.name === name);
  }
}

class FakeHost implements Host {
  editor: EditorSnapshot | undefined = { uri: "file:///w/app.py", isFile: true, selection: null };
  errors: string[] = [];
  infos: string[] = [];
  inputs: (string | undefined)[] = [];
  confirmAnswer: string | undefined = "Archive";
  revealed = 0;
  copied: string[] = [];

  activeEditor = () => this.editor;
  showError = (message: string) => {
    this.errors.push(message);
    return Promise.resolve(undefined);
  };
  showInfo = (message: string) => void this.infos.push(message);
  askInput = () => Promise.resolve(this.inputs.shift());
  confirm = () => Promise.resolve(this.confirmAnswer);
  copy = (text: string) => {
    this.copied.push(text);
    return Promise.resolve();
  };
  insertAtCursor = () => Promise.resolve(true);
  openMarkdown = () => Promise.resolve();
  settings: [string, unknown][] = [];
  picks: string[] = [];
  pick = <T extends string>(items: { id: T }[]) => Promise.resolve(items.find((i) => this.picks.includes(i.id))?.id);
  updateSetting = (key: string, value: unknown) => {
    this.settings.push([key, value]);
    return Promise.resolve();
  };
  revealChat = () => {
    this.revealed += 1;
    return Promise.resolve();
  };
}

function setup() {
  const server = new Server();
  const host = new FakeHost();
  const posted: ToView[] = [];
  const statuses: StatusSnapshot[] = [];
  const chat = new ChatController(server, host, { post: (m) => posted.push(m) }, { show: (s) => statuses.push(s) });
  return { server, host, posted, statuses, chat };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

const result = (turnId: string, text: string, status: ChatResult["status"] = "complete"): ChatResult => ({
  sessionId: "s1",
  turnId,
  text,
  status,
  usage: null,
  manifest: { totalTokens: 10, budget: 100, items: 2, dropped: 0, redactions: 0 },
  error: null,
});

describe("ChatController", () => {
  test("a question goes to tandem.chat with the active file, and its turn streams", async () => {
    const { server, host, posted, statuses, chat } = setup();
    await chat.serverStarted();
    assert.equal(statuses.at(-1)?.model, "stub-model");
    const asking = chat.onViewMessage({ type: "ask", prompt: "  why?  " });
    await flush();
    assert.deepEqual(server.named("tandem.chat")[0].args, { prompt: "why?", uri: "file:///w/app.py" });
    assert.equal(statuses.at(-1)?.chat, "thinking");
    chat.onChatStatus({ turnId: "t1", sessionId: "s1", status: "started", prompt: "why?" });
    assert.equal(host.revealed, 0, "the view asked: no need to reveal it");
    chat.onChatDelta({ turnId: "t1", sessionId: "s1", delta: "Because" });
    assert.equal(statuses.at(-1)?.chat, "streaming");
    server.pending.get("tandem.chat")!.resolve(result("t1", "Because."));
    await asking;
    const last = posted.filter((m) => m.type === "turn").at(-1);
    assert.ok(last?.type === "turn");
    assert.equal(last.turn.id, "t1");
    assert.equal(last.turn.state, "complete");
    assert.equal(last.turn.context, "10 / 100 tokens · 2 items");
    assert.equal(statuses.at(-1)?.chat, "idle");
    assert.deepEqual(posted.at(-1), { type: "busy", busy: false });
  });

  test("Stop cancels a named turn with tandem.cancel", async () => {
    const { server, chat } = setup();
    const asking = chat.ask("long");
    await flush();
    chat.onChatStatus({ turnId: "t1", sessionId: "s1", status: "started", prompt: "long" });
    await chat.onViewMessage({ type: "cancel" });
    assert.deepEqual(server.named("tandem.cancel")[0].args, { turnId: "t1" });
    assert.equal(server.named("tandem.chat")[0].signal?.aborted, false);
    server.pending.get("tandem.chat")!.resolve(result("t1", "lo", "cancelled"));
    await asking;
  });

  test("Stop before the server named the turn cancels the request itself", async () => {
    const { server, posted, host, chat } = setup();
    const asking = chat.ask("long");
    await flush();
    await chat.cancel();
    await asking;
    assert.equal(server.named("tandem.chat")[0].signal?.aborted, true);
    assert.equal(server.named("tandem.cancel").length, 0);
    const last = posted.filter((m) => m.type === "turn").at(-1);
    assert.ok(last?.type === "turn" && last.turn.state === "cancelled");
    assert.deepEqual(host.errors, []);
  });

  test("a failed request shows its message and marks the turn", async () => {
    const { server, host, posted, statuses, chat } = setup();
    const asking = chat.ask("q");
    await flush();
    server.pending.get("tandem.chat")!.reject(new ServerError("The model endpoint refused the key.", -32803, "ModelError"));
    await asking;
    assert.deepEqual(host.errors, ["Tandem: The model endpoint refused the key."]);
    const last = posted.filter((m) => m.type === "turn").at(-1);
    assert.ok(last?.type === "turn" && last.turn.state === "error" && last.turn.error === "The model endpoint refused the key.");
    assert.equal(statuses.at(-1)?.chat, "error");
  });

  test("a turn started elsewhere reveals the view", () => {
    const { host, chat } = setup();
    chat.onChatStatus({ turnId: "t9", sessionId: "s1", status: "started", prompt: "from a plugin" });
    assert.equal(host.revealed, 1);
  });

  test("the code action's turn is shown and gets its result", async () => {
    const { host, posted, chat } = setup();
    const run = new Deferred<unknown>();
    const tracked = chat.runTracked(() => run.promise);
    assert.equal(host.revealed, 1);
    chat.onChatStatus({ turnId: "t7", sessionId: "s1", status: "started", prompt: "Explain this code." });
    chat.onChatDelta({ turnId: "t7", sessionId: "s1", delta: "It adds." });
    run.resolve(result("t7", "It adds."));
    assert.deepEqual(await tracked, result("t7", "It adds."));
    const last = posted.filter((m) => m.type === "turn").at(-1);
    assert.ok(last?.type === "turn" && last.turn.prompt === "Explain this code." && last.turn.state === "complete");
  });

  test("Ask About Selection sends the range and the typed question; Escape asks nothing", async () => {
    const { server, host, chat } = setup();
    const range = { start: { line: 0, character: 0 }, end: { line: 1, character: 4 } };
    host.editor = { uri: "file:///w/app.py", isFile: true, selection: range };
    host.inputs = [undefined, "  what is it?  "];
    await chat.askAboutSelection();
    assert.equal(server.named("tandem.askAboutSelection").length, 0);
    const asking = chat.askAboutSelection();
    await flush();
    assert.deepEqual(server.named("tandem.askAboutSelection")[0].args, { uri: "file:///w/app.py", range, question: "what is it?" });
    server.pending.get("tandem.askAboutSelection")!.resolve(result("t1", "x"));
    await asking;
  });

  test("Ask About Selection without a selection says so", async () => {
    const { server, host, chat } = setup();
    await chat.askAboutSelection();
    assert.equal(server.calls.length, 0);
    assert.match(host.infos[0], /select some code/);
  });

  test("reset asks first, then archives and clears the view", async () => {
    const { server, host, posted, chat } = setup();
    server.answers["tandem.resetWorkspace"] = { mode: "archive", sessions: 2 };
    host.confirmAnswer = undefined;
    await chat.resetWorkspace();
    assert.equal(server.named("tandem.resetWorkspace").length, 0);
    host.confirmAnswer = "Delete";
    server.answers["tandem.resetWorkspace"] = { mode: "delete", sessions: 2 };
    await chat.resetWorkspace();
    assert.deepEqual(server.named("tandem.resetWorkspace")[0].args, { mode: "delete" });
    assert.deepEqual(host.infos, ["Tandem: 2 sessions deleted."]);
    const snapshot = posted.filter((m) => m.type === "snapshot").at(-1);
    assert.ok(snapshot?.type === "snapshot" && snapshot.turns.length === 0);
  });

  test("Select Model lists the endpoint's models and sets tandem.model.name", async () => {
    const { server, host, chat } = setup();
    server.answers["tandem.listModels"] = { endpoint: "http://x/v1", models: ["a", "b"] };
    host.picks = ["b"];
    await chat.selectModel();
    assert.deepEqual(host.settings, [["model.name", "b"]]);
    assert.equal(server.named("tandem.status").length, 1);
  });

  test("the view's ready message gets the transcript; copy goes to the clipboard", async () => {
    const { server, host, posted, chat } = setup();
    server.answers["tandem.getTranscript"] = {
      sessionId: "s1",
      title: null,
      messages: [
        { id: "1", seq: 1, role: "user", content: "hi", status: "complete", created: "", model: null, usage: null, turnId: "t", error: null },
      ],
    };
    await chat.refresh();
    await chat.onViewMessage({ type: "ready" });
    const snapshot = posted.filter((m) => m.type === "snapshot").at(-1);
    assert.ok(snapshot?.type === "snapshot" && snapshot.turns[0].prompt === "hi");
    await chat.onViewMessage({ type: "copy", code: "x = 1" });
    assert.deepEqual(host.copied, ["x = 1"]);
  });
});
