/** Reads the `tandem.*` settings VS Code holds into the server's settings tree. */

import * as vscode from "vscode";
import { SECTION, type SettingValue, serverKeys, toServerSettings } from "../settings";

let keys: string[] = [];

/** The server keys, from this extension's own `contributes.configuration`. */
export function initSettingKeys(packageJson: { contributes?: { configuration?: { properties?: object } } }): void {
  keys = serverKeys({ ...(packageJson.contributes?.configuration?.properties ?? {}) });
}

function lookup(config: vscode.WorkspaceConfiguration, key: string): SettingValue {
  const seen = config.inspect(key);
  const set =
    seen !== undefined &&
    (seen.globalValue !== undefined || seen.workspaceValue !== undefined || seen.workspaceFolderValue !== undefined);
  return { set, value: set ? config.get(key) : undefined };
}

/** The settings the user set, for `scopeUri` (a folder or file) or the whole window. */
export function readServerSettings(scopeUri?: string): Record<string, unknown> {
  const scope = scopeUri ? vscode.Uri.parse(scopeUri) : undefined;
  const config = vscode.workspace.getConfiguration(SECTION, scope);
  return toServerSettings(keys, (key) => lookup(config, key));
}
