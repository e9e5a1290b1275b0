/**
 * The extension's settings and the server's settings tree.
 *
 * `package.json` declares every server setting as `tandem.<group>.<key>`, mirroring
 * the server's tree (docs/settings.md); keys under `tandem.server.*` belong to the
 * extension alone and are never sent. Only values the user actually set are sent, so
 * the server's own defaults (and their environment fallbacks, e.g. `$TANDEM_MODEL`)
 * stay in force for the rest.
 */

export const SECTION = "tandem";
const CLIENT_ONLY_PREFIX = "server.";

/** Settings whose change needs a new server process (the rest the server re-pulls live). */
export const RESTART_KEYS = ["server.path", "server.args", "model.apiKeyEnv"] as const;

export interface SettingValue {
  set: boolean;
  value: unknown;
}

/** `tandem.model.baseUrl` -> `model.baseUrl`, dropping the extension's own keys. */
export function serverKeys(contributed: Record<string, unknown>): string[] {
  return Object.keys(contributed)
    .filter((key) => key.startsWith(SECTION + "."))
    .map((key) => key.slice(SECTION.length + 1))
    .filter((key) => !key.startsWith(CLIENT_ONLY_PREFIX))
    .sort();
}

/** The nested object the server reads, from the values the user set. */
export function toServerSettings(
  keys: readonly string[],
  lookup: (key: string) => SettingValue,
): Record<string, unknown> {
  const tree: Record<string, unknown> = {};
  for (const key of keys) {
    const { set, value } = lookup(key);
    if (!set || value === undefined) continue;
    setPath(tree, key.split("."), value);
  }
  return tree;
}

function setPath(tree: Record<string, unknown>, parts: string[], value: unknown): void {
  let node = tree;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (typeof next !== "object" || next === null) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts[parts.length - 1]] = value;
}

/** Whether a configuration change touches a setting that needs a restart. */
export function needsRestart(affects: (section: string) => boolean): boolean {
  return RESTART_KEYS.some((key) => affects(`${SECTION}.${key}`));
}
