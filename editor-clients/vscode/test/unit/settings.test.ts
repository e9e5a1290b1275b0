import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { needsRestart, serverKeys, toServerSettings } from "../../src/settings";

const ROOT = join(__dirname, "..", "..", "..");
const packageJson = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  contributes: { configuration: { properties: Record<string, Record<string, unknown>> } };
};
const properties = packageJson.contributes.configuration.properties;

describe("server settings", () => {
  test("server keys drop the extension's own settings", () => {
    const keys = serverKeys(properties);
    assert.ok(keys.includes("model.baseUrl"));
    assert.ok(keys.includes("workspace.baselineRef"));
    assert.ok(!keys.some((key) => key.startsWith("server.")));
  });

  test("only values the user set are sent, nested by group", () => {
    const set: Record<string, unknown> = {
      "model.name": "llama3",
      "model.temperature": 0,
      "model.headers": { "X-Team": "blue" },
      "workspace.ignore": ["*.log"],
      "context.maxBudgetTokens": null,
    };
    const tree = toServerSettings(serverKeys(properties), (key) => ({ set: key in set, value: set[key] }));
    assert.deepEqual(tree, {
      model: { name: "llama3", temperature: 0, headers: { "X-Team": "blue" } },
      workspace: { ignore: ["*.log"] },
      context: { maxBudgetTokens: null },
    });
  });

  test("nothing set sends an empty tree", () => {
    assert.deepEqual(toServerSettings(serverKeys(properties), () => ({ set: false, value: 1 })), {});
  });

  test("only the server command and the key's variable need a restart", () => {
    const affects = (changed: string[]) => (section: string) => changed.includes(section);
    assert.ok(needsRestart(affects(["tandem.server.path"])));
    assert.ok(needsRestart(affects(["tandem.server.args"])));
    assert.ok(needsRestart(affects(["tandem.model.apiKeyEnv"])));
    assert.ok(!needsRestart(affects(["tandem.model.name", "tandem.context.marginTokens"])));
  });

  test("every setting has a scope, a description and a default", () => {
    const scopes = new Set(["window", "resource", "machine-overridable", "machine", "application"]);
    for (const [key, schema] of Object.entries(properties)) {
      assert.ok(scopes.has(schema.scope as string), `${key} has no valid scope`);
      assert.ok(schema.description || schema.markdownDescription, `${key} has no description`);
      assert.ok("default" in schema, `${key} has no default`);
    }
  });
});
