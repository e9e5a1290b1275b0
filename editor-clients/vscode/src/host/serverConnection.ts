/**
 * The Tandem language server process and its client: discovery, start, restart, and
 * `workspace/executeCommand` for the chat logic. Notification handlers survive restarts.
 */

import * as vscode from "vscode";
import {
  CancellationTokenSource,
  DidChangeConfigurationNotification,
  ExecuteCommandRequest,
  LanguageClient,
  type LanguageClientOptions,
  ResponseError,
  type ServerOptions,
  State,
  TransportKind,
} from "vscode-languageclient/node";
import { type Discovery, findServer, type ServerCommand } from "../discovery";
import { NOT_RUNNING, type ServerApi, ServerError } from "../ports";
import { Commands, ErrorCodes } from "../protocol";
import { needsRestart } from "../settings";
import { makeProbe } from "./probe";
import { readServerSettings } from "./settingsSource";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- handlers of different params share one map
type Handler = (params: any) => void;

export interface ConnectionEvents {
  onRunning(): void;
  onStopped(phase: "stopped" | "failed", detail?: string): void;
  /** Routes the server commands VS Code runs (the code action's) through the chat. */
  onServerCommand(command: string, run: () => Promise<unknown>): Promise<unknown>;
  onDiscoveryFailed(discovery: Extract<Discovery, { ok: false }>): void;
}

export class ServerConnection implements ServerApi, vscode.Disposable {
  private client: LanguageClient | undefined;
  private readonly handlers = new Map<string, Handler>();
  private readonly disposables: vscode.Disposable[] = [];
  /** True while this extension stops the server itself (not a crash). */
  private stopping = false;

  constructor(
    private readonly output: vscode.LogOutputChannel,
    private readonly apiKey: () => Promise<string | undefined>,
    private readonly events: ConnectionEvents,
  ) {
    this.disposables.push(
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (needsRestart((section) => event.affectsConfiguration(section))) void this.restart();
        else if (event.affectsConfiguration("tandem")) void this.configurationChanged();
      }),
    );
  }

  onNotification<P>(method: string, handler: (params: P) => void): void {
    this.handlers.set(method, handler as Handler);
    this.client?.onNotification(method, handler);
  }

  async start(): Promise<void> {
    const discovery = await findServer(makeProbe());
    if (!discovery.ok) {
      this.output.error(`${discovery.message}\nTried:\n  ${discovery.tried.join("\n  ")}`);
      this.events.onStopped("failed", discovery.message);
      this.events.onDiscoveryFailed(discovery);
      return;
    }
    this.output.info(`Starting ${discovery.server.command} ${discovery.server.args.join(" ")} (${discovery.server.source})`);
    const client = new LanguageClient("tandem", "Tandem", await this.serverOptions(discovery.server), this.clientOptions());
    for (const [method, handler] of this.handlers) client.onNotification(method, handler);
    client.onDidChangeState(({ newState }) => {
      if (client !== this.client && !this.stopping) return; // a replaced client
      if (newState === State.Running) this.events.onRunning();
      else if (newState === State.Stopped && this.stopping) this.events.onStopped("stopped");
      else if (newState === State.Stopped) this.events.onStopped("failed", "The server stopped; the Tandem output has its log.");
    });
    this.client = client;
    try {
      await client.start();
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      this.output.error(`The Tandem server did not start: ${detail}`);
      this.events.onStopped("failed", detail);
    }
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client === undefined || client.state === State.Stopped) return;
    this.stopping = true;
    try {
      await client.stop(5000).catch(() => undefined);
    } finally {
      this.stopping = false;
    }
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async command<T>(name: string, args?: object, signal?: AbortSignal): Promise<T> {
    const client = this.client;
    if (client === undefined || client.state !== State.Running) {
      throw new ServerError("the Tandem server is not running (Tandem: Restart Server starts it).", NOT_RUNNING);
    }
    const source = new CancellationTokenSource();
    const abort = (): void => source.cancel();
    signal?.addEventListener("abort", abort);
    try {
      const params = { command: name, arguments: args === undefined ? [] : [args] };
      return (await client.sendRequest(ExecuteCommandRequest.type, params, source.token)) as T;
    } catch (error) {
      throw toServerError(error);
    } finally {
      signal?.removeEventListener("abort", abort);
      source.dispose();
    }
  }

  dispose(): void {
    for (const disposable of this.disposables) disposable.dispose();
    void this.stop();
  }

  private async serverOptions(server: ServerCommand): Promise<ServerOptions> {
    const env: NodeJS.ProcessEnv = { ...process.env };
    const key = await this.apiKey();
    if (key !== undefined) {
      const name = vscode.workspace.getConfiguration("tandem").get<string>("model.apiKeyEnv") || "OPENAI_API_KEY";
      env[name] = key;
    }
    const cwd = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    return { command: server.command, args: server.args, transport: TransportKind.stdio, options: { env, cwd } };
  }

  private clientOptions(): LanguageClientOptions {
    return {
      documentSelector: [{ scheme: "file" }],
      outputChannel: this.output,
      initializationOptions: { tandem: readServerSettings() },
      middleware: {
        workspace: {
          configuration: (params) => params.items.map((item) => this.configurationFor(item)),
        },
        executeCommand: (command, args, next) => this.events.onServerCommand(command, () => Promise.resolve(next(command, args) as unknown)),
      },
    };
  }

  /** Answers `workspace/configuration`: the `tandem` section only, without client-only keys. */
  private configurationFor(item: { section?: string; scopeUri?: string }): unknown {
    if (item.section === "tandem") return readServerSettings(item.scopeUri);
    if (!item.section) return { tandem: readServerSettings(item.scopeUri) };
    return null;
  }

  private async configurationChanged(): Promise<void> {
    const client = this.client;
    if (client === undefined || client.state !== State.Running) return;
    await client.sendNotification(DidChangeConfigurationNotification.type, { settings: null });
  }
}

/** Converts the client's errors into `ServerError` (code, user message, `data.kind`). */
export function toServerError(error: unknown): ServerError {
  if (error instanceof ResponseError) {
    const data = error.data as { kind?: unknown } | undefined;
    const kind = typeof data?.kind === "string" ? data.kind : undefined;
    return new ServerError(error.message, error.code, kind);
  }
  if (error instanceof Error && error.name === "Canceled") return new ServerError("cancelled", ErrorCodes.requestCancelled);
  return new ServerError(error instanceof Error ? error.message : String(error), NOT_RUNNING);
}

/** Commands the server offers that run a chat turn (shown in the chat view). */
export const CHAT_COMMANDS: ReadonlySet<string> = new Set([Commands.askAboutSelection, Commands.chat]);
