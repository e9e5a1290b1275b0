/**
 * Keeps package.json's settings in step with docs/settings.md (the server's list) and
 * the extension README (the extension's own `tandem.server.*` settings).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { serverKeys } from "../../src/settings";

const EXTENSION = join(__dirname, "..", "..", "..");
const REPO = join(EXTENSION, "..", "..");

const properties = (
  JSON.parse(readFileSync(join(EXTENSION, "package.json"), "utf8")) as {
    contributes: { configuration: { properties: Record<string, { default?: unknown; enum?: unknown[] }> } };
  }
).contributes.configuration.properties;

/** Keys in the first column of the settings table: "| `model.baseUrl` | ...". */
function documentedKeys(markdown: string): string[] {
  const keys = [...markdown.matchAll(/^\|\s*`([a-zA-Z]+\.[a-zA-Z.]+)`\s*\|/gm)].map((m) => m[1]);
  return [...new Set(keys)].sort();
}

/** `128000`, `"auto"`, `[]` are JSON; a bare `OPENAI_API_KEY` is a string. */
function parseLiteral(literal: string): unknown {
  try {
    return JSON.parse(literal);
  } catch {
    return literal;
  }
}

test("package.json declares exactly the settings docs/settings.md documents", () => {
  const documented = documentedKeys(readFileSync(join(REPO, "docs", "settings.md"), "utf8"));
  assert.ok(documented.length > 10, "docs/settings.md has no settings table");
  assert.deepEqual(serverKeys(properties), documented);
});

test("the extension's own settings are documented in its README", () => {
  const readme = readFileSync(join(EXTENSION, "README.md"), "utf8");
  const own = Object.keys(properties).filter((key) => key.startsWith("tandem.server."));
  assert.ok(own.length > 0);
  for (const key of own) assert.ok(readme.includes(`\`${key}\``), `${key} is not in README.md`);
});

test("defaults match the documented defaults where the table states one literally", () => {
  const table = readFileSync(join(REPO, "docs", "settings.md"), "utf8");
  let checked = 0;
  for (const match of table.matchAll(/^\|\s*`([a-zA-Z]+\.[a-zA-Z.]+)`\s*\|[^|]*\|\s*`([^`]+)`\s*\|/gm)) {
    const [, key, literal] = match;
    const declared = properties[`tandem.${key}`]?.default;
    assert.deepEqual(declared, parseLiteral(literal), `default of tandem.${key}`);
    checked += 1;
  }
  assert.ok(checked >= 10, `only ${checked} literal defaults found`);
});
