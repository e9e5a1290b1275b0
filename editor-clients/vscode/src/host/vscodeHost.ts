/** `Host` on VS Code: editors, messages, pickers, clipboard. */

import * as vscode from "vscode";
import type { EditorSnapshot, Host, InputOptions, PickItem } from "../ports";
import type { ChatViewProvider } from "./chatViewProvider";

export class VsCodeHost implements Host, vscode.Disposable {
  private lastEditor: vscode.TextEditor | undefined = vscode.window.activeTextEditor;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly view: ChatViewProvider) {
    this.subscription = vscode.window.onDidChangeActiveTextEditor((editor) => {
      if (editor !== undefined) this.lastEditor = editor;
    });
  }

  private editor(): vscode.TextEditor | undefined {
    const editor = vscode.window.activeTextEditor ?? this.lastEditor;
    return editor !== undefined && !editor.document.isClosed ? editor : undefined;
  }

  activeEditor(): EditorSnapshot | undefined {
    const editor = this.editor();
    if (editor === undefined) return undefined;
    const { start, end } = editor.selection;
    const selection = editor.selection.isEmpty
      ? null
      : { start: { line: start.line, character: start.character }, end: { line: end.line, character: end.character } };
    return { uri: editor.document.uri.toString(), isFile: editor.document.uri.scheme === "file", selection };
  }

  showError(message: string, ...actions: string[]): Promise<string | undefined> {
    return Promise.resolve(vscode.window.showErrorMessage(message, ...actions));
  }

  showInfo(message: string): void {
    void vscode.window.showInformationMessage(message);
  }

  askInput(options: InputOptions): Promise<string | undefined> {
    return Promise.resolve(vscode.window.showInputBox({ ...options, ignoreFocusOut: true }));
  }

  async pick<T extends string>(items: PickItem<T>[], placeHolder: string): Promise<T | undefined> {
    const chosen = await vscode.window.showQuickPick(items, { placeHolder });
    return chosen?.id;
  }

  confirm(message: string, detail: string, actions: string[]): Promise<string | undefined> {
    return Promise.resolve(vscode.window.showWarningMessage(message, { modal: true, detail }, ...actions));
  }

  async copy(text: string): Promise<void> {
    await vscode.env.clipboard.writeText(text);
  }

  async insertAtCursor(text: string): Promise<boolean> {
    const editor = this.editor();
    if (editor === undefined) return false;
    const shown = await vscode.window.showTextDocument(editor.document, editor.viewColumn);
    return shown.edit((edit) => {
      for (const selection of shown.selections) edit.replace(selection, text);
    });
  }

  async openMarkdown(content: string): Promise<void> {
    const document = await vscode.workspace.openTextDocument({ language: "markdown", content });
    await vscode.window.showTextDocument(document, { preview: true });
  }

  revealChat(preserveFocus: boolean): Promise<void> {
    return this.view.reveal(preserveFocus);
  }

  async updateSetting(key: string, value: unknown): Promise<void> {
    const config = vscode.workspace.getConfiguration("tandem");
    const seen = config.inspect(key);
    const target =
      seen?.workspaceFolderValue !== undefined
        ? vscode.ConfigurationTarget.WorkspaceFolder
        : seen?.workspaceValue !== undefined
          ? vscode.ConfigurationTarget.Workspace
          : vscode.ConfigurationTarget.Global;
    await config.update(key, value, target);
  }

  dispose(): void {
    this.subscription.dispose();
  }
}
