/** The status bar item: model and state, click to open the chat. */

import * as vscode from "vscode";
import type { StatusSink, StatusSnapshot } from "../ports";
import { formatStatus } from "../statusText";

export class StatusBar implements StatusSink, vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem("tandem.status", vscode.StatusBarAlignment.Right, 100);

  constructor(command: string) {
    this.item.name = "Tandem";
    this.item.command = command;
    this.show({ server: "starting", chat: "idle" });
    this.item.show();
  }

  show(status: StatusSnapshot): void {
    const { text, tooltip } = formatStatus(status);
    this.item.text = text;
    this.item.tooltip = tooltip;
    const failed = status.server === "failed" || status.chat === "error";
    this.item.backgroundColor = failed ? new vscode.ThemeColor("statusBarItem.errorBackground") : undefined;
  }

  dispose(): void {
    this.item.dispose();
  }
}
