/** The side effects server discovery looks at: files, PATH, the active interpreter. */

import { execFile } from "node:child_process";
import { accessSync, constants, statSync } from "node:fs";
import * as os from "node:os";
import * as vscode from "vscode";
import type { DiscoveryProbe } from "../discovery";
import { activePython } from "./python";

function isExecutable(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Whether `python` can import Tandem's server (a quick `python -c`, 10 s at most). */
function hasTandemModule(python: string): Promise<boolean> {
  const code = "import importlib.util as u, sys; sys.exit(0 if u.find_spec('tandem.lsp') else 1)";
  return new Promise((resolve) => {
    execFile(python, ["-c", code], { timeout: 10_000 }, (error) => resolve(error === null));
  });
}

export function makeProbe(): DiscoveryProbe {
  const config = vscode.workspace.getConfiguration("tandem");
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  return {
    configuredPath: config.get<string | null>("server.path") ?? null,
    extraArgs: config.get<string[]>("server.args") ?? [],
    workspaceFolder: folder?.fsPath,
    home: os.homedir(),
    pathEnv: process.env.PATH ?? "",
    platform: process.platform,
    isExecutable,
    activePython: () => activePython(folder).catch(() => undefined),
    hasTandemModule,
  };
}
