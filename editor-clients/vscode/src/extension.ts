/** Entry point: wires the server connection, the chat view, commands and the status bar. */

import * as vscode from "vscode";
import { ChatController } from "./controller";
import type { Discovery } from "./discovery";
import { CHAT_VIEW_ID, ChatViewProvider } from "./host/chatViewProvider";
import { CHAT_COMMANDS, ServerConnection } from "./host/serverConnection";
import { initSettingKeys } from "./host/settingsSource";
import { StatusBar } from "./host/statusBar";
import { VsCodeHost } from "./host/vscodeHost";
import { type ChatDeltaParams, type ChatStatusParams, Notifications } from "./protocol";

const SECRET_KEY = "tandem.apiKey";

let connection: ServerConnection | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  initSettingKeys(context.extension.packageJSON as object);
  const output = vscode.window.createOutputChannel("Tandem", { log: true });
  const view = new ChatViewProvider(context.extensionUri);
  const host = new VsCodeHost(view);
  const statusBar = new StatusBar("tandem-vscode.openChat");
  // The events fire only once the server runs, after `chat` exists.
  connection = new ServerConnection(output, () => Promise.resolve(context.secrets.get(SECRET_KEY)), {
    onRunning: () => void chat.serverStarted(),
    onStopped: (phase, detail) => chat.serverStopped(phase, detail),
    onServerCommand: (command, run): Promise<unknown> => (CHAT_COMMANDS.has(command) ? chat.runTracked(run) : run()),
    onDiscoveryFailed: (discovery) => void explainDiscoveryFailure(discovery, context.extensionUri),
  });
  const chat: ChatController = new ChatController(connection, host, view, statusBar);
  view.onMessage = (message) => void chat.onViewMessage(message);
  connection.onNotification<ChatStatusParams>(Notifications.chatStatus, (params) => chat.onChatStatus(params));
  connection.onNotification<ChatDeltaParams>(Notifications.chatDelta, (params) => chat.onChatDelta(params));
  context.subscriptions.push(
    output,
    host,
    statusBar,
    connection,
    vscode.window.registerWebviewViewProvider(CHAT_VIEW_ID, view),
    ...registerCommands(chat, connection, view, context),
  );
  await connection.start();
}

export async function deactivate(): Promise<void> {
  await connection?.stop();
}

function registerCommands(
  chat: ChatController,
  server: ServerConnection,
  view: ChatViewProvider,
  context: vscode.ExtensionContext,
): vscode.Disposable[] {
  const commands: Record<string, () => Promise<unknown>> = {
    "tandem-vscode.openChat": async () => {
      await view.reveal(false);
      view.post({ type: "focusInput" });
    },
    "tandem-vscode.askAboutSelection": () => chat.askAboutSelection(),
    "tandem-vscode.newSession": () => chat.newSession(),
    "tandem-vscode.switchSession": () => chat.pickSession(),
    "tandem-vscode.resetWorkspace": () => chat.resetWorkspace(),
    "tandem-vscode.showContext": () => chat.showContext(),
    "tandem-vscode.selectModel": () => chat.selectModel(),
    "tandem-vscode.restartServer": () => server.restart(),
    "tandem-vscode.setApiKey": () => setApiKey(context, server),
    "tandem-vscode.clearApiKey": async () => {
      await context.secrets.delete(SECRET_KEY);
      await server.restart();
    },
  };
  return Object.entries(commands).map(([id, run]) => vscode.commands.registerCommand(id, run));
}

async function setApiKey(context: vscode.ExtensionContext, server: ServerConnection): Promise<void> {
  const variable = vscode.workspace.getConfiguration("tandem").get<string>("model.apiKeyEnv") || "OPENAI_API_KEY";
  const key = await vscode.window.showInputBox({
    title: "Tandem: Set API Key",
    prompt: `Stored in VS Code's secret storage and given to the Tandem server as $${variable}.`,
    password: true,
    ignoreFocusOut: true,
  });
  if (key === undefined || key.trim() === "") return;
  await context.secrets.store(SECRET_KEY, key.trim());
  await server.restart();
}

async function explainDiscoveryFailure(discovery: Extract<Discovery, { ok: false }>, extensionUri: vscode.Uri): Promise<void> {
  const choice = await vscode.window.showErrorMessage(discovery.message, "Open Settings", "Setup Guide");
  if (choice === "Open Settings") await vscode.commands.executeCommand("workbench.action.openSettings", "tandem.server.path");
  if (choice === "Setup Guide") {
    await vscode.commands.executeCommand("markdown.showPreview", vscode.Uri.joinPath(extensionUri, "README.md"));
  }
}
