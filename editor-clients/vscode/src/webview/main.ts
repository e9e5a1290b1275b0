/**
 * The chat view's script (runs inside the webview). It renders what the extension
 * sends (snapshot, turns, deltas) and posts what the user does; it holds no state
 * the extension does not also have.
 */

import { renderMarkdown } from "../markdown";
import type { FromView, SessionOption, ToView, TurnView } from "../viewMessages";

interface VsCodeApi {
  postMessage(message: FromView): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const transcript = $<HTMLElement>("transcript");
const prompt = $<HTMLTextAreaElement>("prompt");
const send = $<HTMLButtonElement>("send");
const stop = $<HTMLButtonElement>("stop");
const session = $<HTMLSelectElement>("session");
const notice = $<HTMLElement>("notice");

interface Rendered {
  view: TurnView;
  root: HTMLElement;
  codeBlocks: string[];
  dirty: boolean;
}

const turns = new Map<string, Rendered>();
const FINISHED: ReadonlySet<TurnView["state"]> = new Set(["complete", "cancelled", "error", "partial"]);
let frame: number | undefined;

const STATE_LABEL: Record<TurnView["state"], string> = {
  thinking: "Thinking…",
  streaming: "Answering…",
  complete: "",
  cancelled: "Stopped",
  error: "Error",
  partial: "Interrupted",
};

function post(message: FromView): void {
  vscode.postMessage(message);
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function buildTurn(view: TurnView): HTMLElement {
  const root = el("section", "turn");
  root.dataset.turnId = view.id;
  const question = el("div", "question");
  question.append(el("div", "role", "You"), el("div", "prompt-text", view.prompt));
  const answer = el("div", "answer");
  const header = el("div", "answer-header");
  header.append(el("span", "role", "Tandem"), el("span", "turn-state"));
  answer.append(header, el("div", "markdown"), el("div", "turn-error"), buildContext(), el("div", "turn-footer"));
  root.append(question, answer);
  return root;
}

function buildContext(): HTMLElement {
  const details = el("details", "context");
  details.hidden = true;
  details.append(el("summary", "context-summary"), el("div", "context-detail"));
  details.addEventListener("toggle", () => {
    const id = details.closest<HTMLElement>(".turn")?.dataset.turnId;
    if (details.open && id !== undefined && !details.dataset.loaded) {
      details.dataset.loaded = "loading";
      details.querySelector(".context-detail")!.textContent = "Loading…";
      post({ type: "context", id });
    }
  });
  return details;
}

function paint(turn: Rendered): void {
  const { view, root } = turn;
  root.dataset.turnId = view.id;
  root.dataset.state = view.state;
  root.querySelector(".prompt-text")!.textContent = view.prompt;
  root.querySelector(".turn-state")!.textContent = STATE_LABEL[view.state];
  const rendered = renderMarkdown(view.text);
  root.querySelector(".markdown")!.innerHTML = rendered.html;
  turn.codeBlocks = rendered.codeBlocks;
  const error = root.querySelector<HTMLElement>(".turn-error")!;
  error.textContent = view.error ?? "";
  error.hidden = !view.error;
  const context = root.querySelector<HTMLDetailsElement>(".context")!;
  context.hidden = !view.context && !FINISHED.has(view.state);
  context.querySelector(".context-summary")!.textContent = view.context ? `Context: ${view.context}` : "Context";
  const footer = root.querySelector<HTMLElement>(".turn-footer")!;
  footer.textContent = view.footer ?? "";
  footer.hidden = !view.footer;
  turn.dirty = false;
}

function schedulePaint(turn: Rendered): void {
  turn.dirty = true;
  if (frame !== undefined) return;
  frame = requestAnimationFrame(() => {
    frame = undefined;
    for (const t of turns.values()) if (t.dirty) paint(t);
    scrollToEnd();
  });
}

function scrollToEnd(): void {
  transcript.scrollTop = transcript.scrollHeight;
}

function upsert(view: TurnView, replaces?: string): void {
  const previous = (replaces !== undefined ? turns.get(replaces) : undefined) ?? turns.get(view.id);
  if (replaces !== undefined) turns.delete(replaces);
  if (previous !== undefined) {
    previous.view = { ...view };
    turns.set(view.id, previous);
    paint(previous);
  } else {
    const turn: Rendered = { view: { ...view }, root: buildTurn(view), codeBlocks: [], dirty: false };
    turns.set(view.id, turn);
    transcript.append(turn.root);
    paint(turn);
  }
  scrollToEnd();
}

function remove(id: string): void {
  turns.get(id)?.root.remove();
  turns.delete(id);
}

function setBusy(busy: boolean): void {
  stop.hidden = !busy;
  send.hidden = busy;
}

function setSessions(options: SessionOption[], active: string | null): void {
  session.replaceChildren();
  if (active === null || !options.some((o) => o.id === active)) {
    const fresh = document.createElement("option");
    fresh.value = "";
    fresh.textContent = "New session";
    session.append(fresh);
  }
  for (const option of options) {
    const node = document.createElement("option");
    node.value = option.id;
    node.textContent = option.label;
    session.append(node);
  }
  session.value = active ?? "";
}

function showNotice(text: string): void {
  notice.textContent = text;
  notice.hidden = text === "";
}

function onMessage(message: ToView): void {
  switch (message.type) {
    case "snapshot":
      transcript.replaceChildren();
      turns.clear();
      for (const view of message.turns) upsert(view);
      setSessions(message.sessions, message.activeSessionId);
      setBusy(message.busy);
      return;
    case "turn":
      return upsert(message.turn, message.replaces);
    case "removeTurn":
      return remove(message.id);
    case "delta": {
      const turn = turns.get(message.id);
      if (turn === undefined) return;
      turn.view.text += message.delta;
      return schedulePaint(turn);
    }
    case "busy":
      return setBusy(message.busy);
    case "sessions":
      return setSessions(message.sessions, message.activeSessionId);
    case "contextDetail":
      return showContextDetail(message.id, message.markdown);
    case "notice":
      return showNotice(message.text);
    case "focusInput":
      prompt.focus();
      return;
  }
}

function showContextDetail(id: string, markdown: string): void {
  const details = turns.get(id)?.root.querySelector<HTMLDetailsElement>(".context");
  if (!details) return;
  details.dataset.loaded = "yes";
  details.querySelector(".context-detail")!.innerHTML = renderMarkdown(markdown).html;
}

function submit(): void {
  const text = prompt.value.trim();
  if (text === "" || !stop.hidden) return;
  post({ type: "ask", prompt: text });
  prompt.value = "";
  showNotice("");
}

function onCodeButton(event: MouseEvent): void {
  const button = (event.target as HTMLElement).closest<HTMLButtonElement>("button[data-action]");
  const block = button?.closest<HTMLElement>(".code-block");
  const id = button?.closest<HTMLElement>(".turn")?.dataset.turnId;
  if (!button || !block || id === undefined) return;
  const code = turns.get(id)?.codeBlocks[Number(block.dataset.codeIndex)];
  if (code === undefined) return;
  post({ type: button.dataset.action === "insert" ? "insert" : "copy", code });
  if (button.dataset.action === "copy") flash(button, "Copied");
}

function flash(button: HTMLButtonElement, text: string): void {
  const original = button.textContent;
  button.textContent = text;
  setTimeout(() => (button.textContent = original), 1200);
}

window.addEventListener("message", (event: MessageEvent<ToView>) => onMessage(event.data));
send.addEventListener("click", submit);
stop.addEventListener("click", () => post({ type: "cancel" }));
prompt.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    submit();
  }
});
transcript.addEventListener("click", onCodeButton);
$<HTMLButtonElement>("new-session").addEventListener("click", () => post({ type: "newSession" }));
session.addEventListener("change", () => {
  if (session.value !== "") post({ type: "switchSession", sessionId: session.value });
});
post({ type: "ready" });
