/** The active Python interpreter, from the Python extension (ms-python.python) if installed. */

import * as vscode from "vscode";

interface PythonApi {
  environments?: {
    getActiveEnvironmentPath(resource?: vscode.Uri): { path: string } | undefined;
    resolveEnvironment(env: { path: string }): Promise<{ executable?: { uri?: vscode.Uri } } | undefined>;
  };
  settings?: {
    getExecutionDetails(resource?: vscode.Uri): { execCommand: string[] | undefined };
  };
}

export async function activePython(resource: vscode.Uri | undefined): Promise<string | undefined> {
  const extension = vscode.extensions.getExtension<PythonApi>("ms-python.python");
  if (extension === undefined) return undefined;
  const api = extension.isActive ? extension.exports : await extension.activate();
  const envPath = api.environments?.getActiveEnvironmentPath(resource);
  if (envPath !== undefined && api.environments !== undefined) {
    const resolved = await api.environments.resolveEnvironment(envPath);
    const executable = resolved?.executable?.uri?.fsPath;
    if (executable) return executable;
  }
  return api.settings?.getExecutionDetails(resource).execCommand?.[0];
}
