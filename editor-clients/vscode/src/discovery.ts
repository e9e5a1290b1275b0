/**
 * Finding the Tandem server to run. The order (documented in the README):
 *
 * 1. the `tandem.server.path` setting: a `tandem` executable, or a Python interpreter
 *    (run as `python -m tandem serve`); a path that does not exist is an error, never
 *    silently skipped;
 * 2. the active Python interpreter of the Python extension, when Tandem is installed in it;
 * 3. `tandem` on `PATH`.
 */

import * as path from "node:path";

export type ServerSource = "setting" | "python" | "path";

export interface ServerCommand {
  command: string;
  args: string[];
  source: ServerSource;
}

export type Discovery = { ok: true; server: ServerCommand } | { ok: false; message: string; tried: string[] };

/** What discovery may look at; each is a side effect, injected so the order is testable. */
export interface DiscoveryProbe {
  configuredPath: string | null;
  extraArgs: readonly string[];
  workspaceFolder: string | undefined;
  home: string;
  pathEnv: string;
  platform: NodeJS.Platform;
  isExecutable(file: string): boolean;
  activePython(): Promise<string | undefined>;
  hasTandemModule(python: string): Promise<boolean>;
}

/** `python`, `python3`, `python3.12`, `python.exe`, `pythonw.exe`. */
export function isPythonExecutable(file: string): boolean {
  const name = file.split(/[\\/]/).pop() ?? "";
  return /^pythonw?(\d+(\.\d+)*)?(\.exe)?$/i.test(name);
}

/** Expands `~` and `${workspaceFolder}`; a relative path is taken from the workspace folder. */
export function expandPath(raw: string, probe: Pick<DiscoveryProbe, "home" | "workspaceFolder">): string {
  let expanded = raw.trim();
  if (expanded === "~" || expanded.startsWith("~/")) expanded = probe.home + expanded.slice(1);
  if (probe.workspaceFolder !== undefined) {
    expanded = expanded.replace(/\$\{workspaceFolder\}/g, probe.workspaceFolder);
    if (!path.isAbsolute(expanded) && expanded.includes("/")) expanded = path.join(probe.workspaceFolder, expanded);
  }
  return expanded;
}

function commandFor(executable: string, extraArgs: readonly string[], source: ServerSource): ServerCommand {
  const serve = ["serve", ...extraArgs];
  if (isPythonExecutable(executable)) return { command: executable, args: ["-m", "tandem", ...serve], source };
  return { command: executable, args: serve, source };
}

/** The first executable called `name` in a PATH string. */
export function whichOnPath(name: string, probe: Pick<DiscoveryProbe, "pathEnv" | "platform" | "isExecutable">): string | undefined {
  const separator = probe.platform === "win32" ? ";" : ":";
  const suffixes = probe.platform === "win32" ? [".exe", ".cmd", ""] : [""];
  const paths = probe.platform === "win32" ? path.win32 : path.posix;
  for (const dir of probe.pathEnv.split(separator)) {
    if (dir === "") continue;
    for (const suffix of suffixes) {
      const candidate = paths.join(dir, name + suffix);
      if (probe.isExecutable(candidate)) return candidate;
    }
  }
  return undefined;
}

export async function findServer(probe: DiscoveryProbe): Promise<Discovery> {
  const tried: string[] = [];
  if (probe.configuredPath !== null && probe.configuredPath.trim() !== "") {
    const configured = expandPath(probe.configuredPath, probe);
    if (probe.isExecutable(configured)) return { ok: true, server: commandFor(configured, probe.extraArgs, "setting") };
    const message = `The Tandem server set in "tandem.server.path" (${configured}) is not an executable file.`;
    return { ok: false, message, tried: [`tandem.server.path: ${configured}`] };
  }
  const python = await probe.activePython();
  if (python !== undefined) {
    if (await probe.hasTandemModule(python)) {
      return { ok: true, server: commandFor(python, probe.extraArgs, "python") };
    }
    tried.push(`active Python interpreter (${python}): the tandem-ls package is not installed there`);
  } else {
    tried.push("active Python interpreter: none (the Python extension is not installed or has none selected)");
  }
  const onPath = whichOnPath("tandem", probe);
  if (onPath !== undefined) return { ok: true, server: commandFor(onPath, probe.extraArgs, "path") };
  tried.push("`tandem` on PATH: not found");
  const message =
    'Tandem could not find its server. Install it with "pip install tandem-ls" (in your project\'s ' +
    'Python environment, or on PATH), or set "tandem.server.path".';
  return { ok: false, message, tried };
}
