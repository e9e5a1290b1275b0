/** The chat webview view: serves the page and passes messages both ways. */

import { randomBytes } from "node:crypto";
import * as vscode from "vscode";
import type { ChatView } from "../ports";
import { type FromView, parseFromView, type ToView } from "../viewMessages";
import { chatPageHtml, makeNonce } from "../webviewHtml";

export const CHAT_VIEW_ID = "tandem.chatView";

export class ChatViewProvider implements vscode.WebviewViewProvider, ChatView {
  private view: vscode.WebviewView | undefined;
  private ready = false;
  onMessage: (message: FromView) => void = () => undefined;

  constructor(private readonly extensionUri: vscode.Uri) {}

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    this.ready = false;
    const out = vscode.Uri.joinPath(this.extensionUri, "out");
    const media = vscode.Uri.joinPath(this.extensionUri, "media");
    view.webview.options = { enableScripts: true, localResourceRoots: [out, media] };
    view.webview.html = chatPageHtml({
      cspSource: view.webview.cspSource,
      nonce: makeNonce((size) => randomBytes(size)),
      scriptUri: view.webview.asWebviewUri(vscode.Uri.joinPath(out, "webview.js")).toString(),
      styleUri: view.webview.asWebviewUri(vscode.Uri.joinPath(media, "chat.css")).toString(),
    });
    view.webview.onDidReceiveMessage((raw: unknown) => this.receive(raw));
    view.onDidDispose(() => {
      this.view = undefined;
      this.ready = false;
    });
  }

  /** Messages before the page has loaded are dropped: the page asks for a snapshot when ready. */
  post(message: ToView): void {
    if (this.view !== undefined && this.ready) void this.view.webview.postMessage(message);
  }

  async reveal(preserveFocus: boolean): Promise<void> {
    if (this.view !== undefined) {
      this.view.show(preserveFocus);
      return;
    }
    await vscode.commands.executeCommand(`${CHAT_VIEW_ID}.focus`);
    if (preserveFocus) await vscode.commands.executeCommand("workbench.action.focusActiveEditorGroup");
  }

  private receive(raw: unknown): void {
    const message = parseFromView(raw);
    if (message === undefined) return;
    if (message.type === "ready") this.ready = true;
    this.onMessage(message);
  }
}
