/**
 * What the chat logic needs from the outside world, as interfaces: VS Code (`Host`),
 * the language server (`ServerApi`) and the webview (`ChatView`). The implementations
 * live in `src/host/`, the only place that imports `vscode`.
 */

import type { Range } from "./protocol";
import type { ToView } from "./viewMessages";

export interface EditorSnapshot {
  uri: string;
  /** A `file:` document (the only kind the server reads). */
  isFile: boolean;
  /** The primary selection, or null when it is empty. */
  selection: Range | null;
}

export interface PickItem<T extends string> {
  id: T;
  label: string;
  description?: string;
}

export interface InputOptions {
  title: string;
  prompt: string;
  placeHolder?: string;
  value?: string;
}

export interface Host {
  activeEditor(): EditorSnapshot | undefined;
  showError(message: string, ...actions: string[]): Promise<string | undefined>;
  showInfo(message: string): void;
  askInput(options: InputOptions): Promise<string | undefined>;
  pick<T extends string>(items: PickItem<T>[], placeHolder: string): Promise<T | undefined>;
  /** A modal question; resolves to the chosen action, or undefined when dismissed. */
  confirm(message: string, detail: string, actions: string[]): Promise<string | undefined>;
  copy(text: string): Promise<void>;
  /** Inserts at the cursor of the last active text editor; false when there is none. */
  insertAtCursor(text: string): Promise<boolean>;
  openMarkdown(content: string): Promise<void>;
  revealChat(preserveFocus: boolean): Promise<void>;
  /** Writes a `tandem.*` setting where it is set now (workspace or user settings). */
  updateSetting(key: string, value: unknown): Promise<void>;
}

/** A JSON-RPC error from the server (or "not running"), with its code and `data.kind`. */
export class ServerError extends Error {
  constructor(
    message: string,
    readonly code: number,
    readonly kind?: string,
  ) {
    super(message);
    this.name = "ServerError";
  }
}

export const NOT_RUNNING = -1;

export interface ServerApi {
  /** `workspace/executeCommand`; aborting the signal sends `$/cancelRequest`. */
  command<T>(name: string, args?: object, signal?: AbortSignal): Promise<T>;
}

export interface ChatView {
  post(message: ToView): void;
}

export type ServerPhase = "starting" | "running" | "stopped" | "failed";
export type ChatPhase = "idle" | "thinking" | "streaming" | "error";

export interface StatusSnapshot {
  server: ServerPhase;
  chat: ChatPhase;
  model?: string;
  endpoint?: string | null;
  detail?: string;
}

export interface StatusSink {
  show(status: StatusSnapshot): void;
}
