/**
 * A real VS Code: code-server with the packaged extension installed, in a private
 * user-data dir, extensions dir and XDG dirs, bound to 127.0.0.1 without auth.
 */

import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, run, type Running, start, waitUntil } from "./processes";

export interface CodeServerOptions {
  node: string;
  entry: string;
  vsix: string;
  root: string;
  settings: Record<string, unknown>;
  env: NodeJS.ProcessEnv;
}

export interface CodeServer {
  url: string;
  logFile: string;
  process: Running;
}

function dirs(root: string): Record<string, string> {
  const names = ["user-data", "extensions", "xdg-config", "xdg-data", "xdg-cache", "xdg-state", "logs"];
  const made: Record<string, string> = {};
  for (const name of names) {
    made[name] = join(root, name);
    mkdirSync(made[name], { recursive: true });
  }
  return made;
}

export async function startCodeServer(options: CodeServerOptions): Promise<CodeServer> {
  const d = dirs(options.root);
  const config = join(options.root, "config.yaml");
  writeFileSync(config, "auth: none\ncert: false\n");
  mkdirSync(join(d["user-data"], "User"), { recursive: true });
  writeFileSync(join(d["user-data"], "User", "settings.json"), JSON.stringify(options.settings, null, 2));
  const env: NodeJS.ProcessEnv = {
    ...options.env,
    XDG_CONFIG_HOME: d["xdg-config"],
    XDG_DATA_HOME: d["xdg-data"],
    XDG_CACHE_HOME: d["xdg-cache"],
    XDG_STATE_HOME: d["xdg-state"],
  };
  const common = ["--config", config, "--user-data-dir", d["user-data"], "--extensions-dir", d.extensions];
  await run(options.node, [options.entry, ...common, "--install-extension", options.vsix, "--force"], { env });
  const port = await freePort();
  const args = [
    options.entry,
    ...common,
    "--auth",
    "none",
    "--bind-addr",
    `127.0.0.1:${port}`,
    "--disable-telemetry",
    "--disable-update-check",
    "--disable-workspace-trust",
    "--disable-getting-started-override",
    "--ignore-last-opened",
  ];
  const logFile = join(d.logs, "code-server.log");
  const process = start("code-server", options.node, args, logFile, { env });
  const url = `http://127.0.0.1:${port}`;
  await waitUntil("code-server to answer", async () => (await fetch(`${url}/healthz`)).ok, 60_000);
  return { url, logFile, process };
}
