/**
 * The extension in a real VS Code: code-server with the packaged .vsix, driven by
 * Chromium, against the real Tandem server and the HTTP model stub.
 *
 * One VS Code window for the whole file; the tests run in order and build on each
 * other (a transcript, then a reload, then a reset). Screenshots go to
 * TANDEM_E2E_ARTIFACTS after every step and on failure.
 */
import assert from "node:assert/strict";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Browser } from "playwright-core";
import { launchChromium } from "../support/browser";
import { type CodeServer, startCodeServer } from "./codeServer";
import { type ModelStub, startModelStub } from "./modelStub";
import { run } from "./processes";
import { Workbench } from "./workbench";

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run this through tests/e2e/vscode/test_vscode_e2e.py`);
  return value;
};

const APP = `def greet(name):
    return "hello " + name


def main():
    return greet("world")
`;

async function makeWorkspace(dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "app.py"), APP);
  writeFileSync(join(dir, "README.md"), "# demo\n");
  const git = (...args: string[]) => run("git", ["-c", "user.name=Test", "-c", "user.email=t@example.com", ...args], { cwd: dir });
  await git("init", "-q", "-b", "main");
  await git("add", ".");
  await git("commit", "-qm", "initial");
}

/** The extension's "Tandem" output channel, as code-server logs it. */
function outputLog(tmp: string): { path: string; tail: string } {
  const logs = join(tmp, "code-server", "user-data", "logs");
  const found = existsSync(logs)
    ? readdirSync(logs, { recursive: true, encoding: "utf8" }).find((f) => f.endsWith(join("tandem.tandem-vscode", "Tandem.log")))
    : undefined;
  if (found === undefined) return { path: "(none)", tail: "" };
  const path = join(logs, found);
  return { path, tail: readFileSync(path, "utf8").split("\n").slice(-60).join("\n") };
}

/** Copies the logs next to the screenshots. */
function collectLogs(tmp: string, artifacts: string): void {
  const files: [string, string][] = [
    [outputLog(tmp).path, "tandem-output.log"],
    [join(tmp, "tandem-server.log"), "tandem-server.log"],
    [join(tmp, "model-stub.log"), "model-stub.log"],
    [join(tmp, "code-server", "logs", "code-server.log"), "code-server.log"],
  ];
  for (const [from, to] of files) if (existsSync(from)) copyFileSync(from, join(artifacts, to));
}

describe("Tandem in VS Code", { timeout: 300_000 }, () => {
  const tmp = process.env.TANDEM_E2E_TMP ?? mkdtempSync(join(tmpdir(), "tandem-vscode-e2e-"));
  const artifacts = env("TANDEM_E2E_ARTIFACTS");
  const workspace = join(tmp, "ws");
  let model: ModelStub;
  let codeServer: CodeServer;
  let browser: Browser;
  let wb: Workbench;

  before(async () => {
    await makeWorkspace(workspace);
    const python = env("TANDEM_E2E_PYTHON");
    model = await startModelStub(python, env("TANDEM_E2E_REPO"), join(tmp, "model-stub.log"));
    codeServer = await startCodeServer({
      node: env("TANDEM_E2E_NODE"),
      entry: env("TANDEM_E2E_CODE_SERVER"),
      vsix: env("TANDEM_E2E_VSIX"),
      root: join(tmp, "code-server"),
      settings: {
        // TANDEM_E2E_SERVER: another server command to try (default: this Python's `-m tandem serve`).
        "tandem.server.path": process.env.TANDEM_E2E_SERVER ?? python,
        "tandem.server.args": ["-v", "--log-file", join(tmp, "tandem-server.log")],
        "tandem.model.baseUrl": model.baseUrl,
        "tandem.model.name": "stub-model",
        "chat.disableAIFeatures": true,
        "workbench.startupEditor": "none",
        "workbench.secondarySideBar.defaultVisibility": "hidden",
        "workbench.tips.enabled": false,
        "telemetry.telemetryLevel": "off",
        "extensions.ignoreRecommendations": true,
        "git.openRepositoryInParentFolders": "never",
        "editor.minimap.enabled": false,
        "files.autoSave": "off",
      },
      env: { ...process.env, TANDEM_DATA_DIR: join(tmp, "data"), OPENAI_API_KEY: "test-key" },
    });
    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    wb = new Workbench(page, artifacts);
    await wb.open(codeServer.url, workspace);
  });

  after(async () => {
    await browser?.close();
    await codeServer?.process.stop();
    await model?.stop();
    collectLogs(tmp, artifacts);
  });

  let serverStarted = false;

  /** Runs a step, with a screenshot after it (named "failed-..." when it fails). */
  async function step(name: string, body: () => Promise<void>): Promise<void> {
    if (!serverStarted && name !== "started") throw new Error("the Tandem server never started (see the first test)");
    try {
      await body();
      await wb.screenshot(name);
    } catch (error) {
      await wb.screenshot(`failed-${name}`).catch(() => undefined);
      throw error;
    }
  }

  test("the server starts and the status bar shows the model", () =>
    step("started", async () => {
      try {
        await wb.waitStatus(/stub-model · idle/, 60_000);
      } catch (error) {
        const log = outputLog(tmp);
        throw new Error(`${String(error)}\n--- Tandem output (${log.path}) ---\n${log.tail}`);
      }
      serverStarted = true;
    }));

  test("an answer streams into the chat, and the model saw the unsaved edit", () =>
    step("chat-answer", async () => {
      await wb.openFile("app.py");
      await wb.page.keyboard.press("Control+End");
      await wb.page.keyboard.type("# unsaved-marker-42\n");
      await model.answer(["`main` greets ", "the world:\n\n```python\n", "print(main())\n```\n"]);
      await wb.command("Tandem: Open Chat");
      await wb.ask("what does main do?");
      await wb.chat().locator('.turn[data-state="complete"]').first().waitFor();
      const turn = wb.turns().last();
      assert.equal(await wb.turns().count(), 1);
      assert.match((await turn.locator(".markdown").textContent()) ?? "", /main greets the world:/);
      assert.equal(await turn.locator(".markdown pre code").textContent(), "print(main())");
      assert.match((await turn.locator(".context-summary").textContent()) ?? "", /tokens/);
      await turn.locator(".context-summary").click();
      await turn.locator(".context-detail", { hasText: /tokens in \d+ messages?/ }).waitFor();
      const sent = await model.lastRequestText();
      assert.match(sent, /unsaved-marker-42/);
      assert.match(sent, /what does main do\?/);
      assert.ok(!readFileSync(join(workspace, "app.py"), "utf8").includes("unsaved-marker-42"), "the edit was saved");
      await wb.waitStatus(/idle/);
    }));

  test("Insert puts a code block at the cursor", () =>
    step("insert", async () => {
      await wb.turns().last().locator('.code-block button[data-action="insert"]').click();
      await wb.page.locator(".monaco-editor .view-line", { hasText: "print(main())" }).first().waitFor();
    }));

  test("the code action asks about the selection", () =>
    step("code-action", async () => {
      await model.answer(["greet builds ", "a greeting."]);
      await wb.editor().click();
      await wb.page.keyboard.press("Control+Home");
      await wb.page.keyboard.press("Shift+ArrowDown");
      await wb.page.keyboard.press("Shift+End");
      await wb.page.keyboard.press("Control+.");
      await wb.page.locator(".action-widget .monaco-list-row", { hasText: "Ask Tandem about selection" }).first().click();
      const turn = wb.chat().locator('.turn[data-state="complete"]', { hasText: "greet builds a greeting." });
      await turn.waitFor();
      assert.equal(await wb.turns().count(), 2);
      assert.match(await model.lastRequestText(), /def greet\(name\):/);
    }));

  test("Tandem: Ask About Selection asks the typed question", () =>
    step("ask-selection", async () => {
      await model.answer(["It returns a string."]);
      await wb.editor().click();
      await wb.page.keyboard.press("Control+Home");
      await wb.page.keyboard.press("ArrowDown");
      await wb.page.keyboard.press("Home");
      await wb.page.keyboard.press("Shift+End");
      await wb.command("Tandem: Ask About Selection");
      const input = await wb.inputBox("Ask Tandem about the selection");
      await input.fill("what does this return?");
      await input.press("Enter");
      await wb.chat().locator('.turn[data-state="complete"]', { hasText: "It returns a string." }).waitFor();
      const sent = await model.lastRequestText();
      assert.match(sent, /what does this return\?/);
      assert.match(sent, /return "hello " \+ name/);
    }));

  test("Stop cancels an answer mid-stream and keeps what arrived", () =>
    step("stopped", async () => {
      await model.answer(
        Array.from({ length: 60 }, (_, i) => `word${i} `),
        { delaySeconds: 0.25 },
      );
      await wb.ask("count slowly");
      const turn = wb.chat().locator(".turn", { hasText: "count slowly" });
      await turn.locator(".markdown", { hasText: "word1" }).waitFor();
      await wb.waitStatus(/streaming/);
      await wb.chat().locator("#stop").click();
      await wb.chat().locator('.turn[data-state="cancelled"]', { hasText: "count slowly" }).waitFor({ timeout: 10_000 });
      const text = (await turn.locator(".markdown").textContent()) ?? "";
      assert.match(text, /word1/);
      assert.doesNotMatch(text, /word59/);
      await wb.waitStatus(/idle/);
      assert.ok(await wb.chat().locator("#send").isVisible());
    }));

  test("a model error shows in the turn and the status bar", () =>
    step("model-error", async () => {
      await model.fail(401, "invalid api key");
      await wb.ask("will this fail?");
      const turn = wb.chat().locator('.turn[data-state="error"]', { hasText: "will this fail?" });
      await turn.waitFor();
      assert.match((await turn.locator(".turn-error").textContent()) ?? "", /\S/);
      await wb.waitStatus(/error/);
    }));

  test("Tandem: Show Context opens the request it would send", () =>
    step("show-context", async () => {
      await wb.command("Tandem: Show Context");
      const input = await wb.inputBox("Show Tandem's context");
      assert.equal(await input.inputValue(), "will this fail?", "the last question is offered");
      await input.fill("where is greet defined?");
      await input.press("Enter");
      const lines = wb.page.locator(".editor-group-container.active .monaco-editor .view-line");
      await lines.filter({ hasText: "## Context for: where is greet defined?" }).first().waitFor();
      await lines.filter({ hasText: "### Included" }).first().waitFor();
    }));

  test("after a reload the transcript is back", () =>
    step("reloaded", async () => {
      await wb.reloadWindow();
      await wb.waitStatus(/stub-model · idle/, 60_000);
      await wb.command("Tandem: Open Chat");
      await wb.chat().locator(".turn").nth(4).waitFor();
      const prompts = await wb.chat().locator(".turn .prompt-text").allTextContents();
      assert.deepEqual(prompts, ["what does main do?", "Explain this code.", "what does this return?", "count slowly", "will this fail?"]);
      const states = await wb.chat().locator(".turn").evaluateAll((nodes) => nodes.map((n) => (n as HTMLElement).dataset.state));
      assert.deepEqual(states, ["complete", "complete", "complete", "cancelled", "error"]);
      assert.match((await wb.turns().first().locator(".markdown").textContent()) ?? "", /main greets the world/);
    }));

  test("reset archives the history and the next question starts fresh", () =>
    step("reset", async () => {
      await wb.command("Tandem: Reset Workspace");
      await wb.dialogButton("Archive");
      await wb.chat().locator(".turn").first().waitFor({ state: "detached" });
      await model.answer(["A fresh start."]);
      await wb.ask("anything new?");
      await wb.chat().locator('.turn[data-state="complete"]', { hasText: "A fresh start." }).waitFor();
      assert.equal(await wb.turns().count(), 1);
      assert.doesNotMatch(await model.lastRequestText(), /count slowly|what does main do/);
    }));

  test("New starts an empty session; the picker switches back", () =>
    step("sessions", async () => {
      const picker = wb.chat().locator("#session");
      const before = await picker.inputValue();
      await wb.chat().locator("#new-session").click();
      await wb.chat().locator(".turn").first().waitFor({ state: "detached" });
      const values = await picker.locator("option").evaluateAll((nodes) => nodes.map((n) => (n as HTMLOptionElement).value));
      assert.ok(values.includes(before), `the previous session is listed: ${values.join(", ")}`);
      await picker.selectOption(before);
      await wb.chat().locator(".turn", { hasText: "anything new?" }).waitFor();
      assert.equal(await wb.turns().count(), 1);
    }));
});
