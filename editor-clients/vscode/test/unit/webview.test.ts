/**
 * The chat view's script in headless Chromium: a static page with the real HTML and
 * CSP, the bundled out/webview.js, and a fake `acquireVsCodeApi` that records posts.
 */
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import type { FromView, ToView, TurnView } from "../../src/viewMessages";
import { chatPageHtml } from "../../src/webviewHtml";
import { chromiumMissing, launchChromium } from "../support/browser";

const EXTENSION = join(__dirname, "..", "..", "..");
const ARTIFACTS = join(EXTENSION, "..", "..", "test-artifacts", "vscode");
const ORIGIN = "https://webview.test";

const FILES: Record<string, { path: string; type: string }> = {
  "/webview.js": { path: join(EXTENSION, "out", "webview.js"), type: "text/javascript" },
  "/chat.css": { path: join(EXTENSION, "media", "chat.css"), type: "text/css" },
};

async function openView(browser: Browser): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 420, height: 640 } });
  const html = chatPageHtml({ cspSource: ORIGIN, nonce: "n0nce", scriptUri: `${ORIGIN}/webview.js`, styleUri: `${ORIGIN}/chat.css` });
  await page.route(`${ORIGIN}/**`, (route) => {
    const url = new URL(route.request().url());
    const file = FILES[url.pathname];
    if (file === undefined) return route.fulfill({ status: 200, contentType: "text/html", body: html });
    return route.fulfill({ status: 200, contentType: file.type, body: readFileSync(file.path) });
  });
  await page.addInitScript(() => {
    const posted: unknown[] = [];
    (window as unknown as { __posted: unknown[] }).__posted = posted;
    (window as unknown as { acquireVsCodeApi: () => unknown }).acquireVsCodeApi = () => ({
      postMessage: (message: unknown) => posted.push(message),
      getState: () => undefined,
      setState: () => undefined,
    });
  });
  await page.goto(`${ORIGIN}/index.html`);
  return page;
}

function send(page: Page, message: ToView): Promise<void> {
  return page.evaluate((m) => window.postMessage(m, "*"), message);
}

function posted(page: Page): Promise<FromView[]> {
  return page.evaluate(() => (window as unknown as { __posted: FromView[] }).__posted);
}

async function waitPosted(page: Page, type: FromView["type"]): Promise<FromView[]> {
  await page.waitForFunction(
    (t) => (window as unknown as { __posted: { type: string }[] }).__posted.some((m) => m.type === t),
    type,
  );
  return (await posted(page)).filter((m) => m.type === type);
}

const turn = (overrides: Partial<TurnView>): TurnView => ({ id: "t1", prompt: "q", text: "", state: "thinking", ...overrides });

describe("chat view script", { skip: chromiumMissing() }, () => {
  let browser: Browser;
  let page: Page;

  before(async () => {
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
  });

  test("announces itself and renders a snapshot", async () => {
    page = await openView(browser);
    await waitPosted(page, "ready");
    await send(page, {
      type: "snapshot",
      turns: [turn({ id: "a", prompt: "old question", text: "old **answer**", state: "complete", footer: "gpt · 9 tokens" })],
      sessions: [{ id: "s1", label: "First · 2024-01-01 10:00" }, { id: "s2", label: "Second" }],
      activeSessionId: "s1",
      busy: false,
    });
    await page.waitForSelector('.turn[data-turn-id="a"] strong');
    assert.equal(await page.textContent('.turn[data-turn-id="a"] .prompt-text'), "old question");
    assert.equal(await page.textContent('.turn[data-turn-id="a"] .turn-footer'), "gpt · 9 tokens");
    assert.equal(await page.inputValue("#session"), "s1");
    assert.ok(await page.isHidden("#stop"));
  });

  test("streams deltas as markdown, with a stop button while busy", async () => {
    await send(page, { type: "turn", turn: turn({ id: "local-1", prompt: "what does main do?" }) });
    await send(page, { type: "busy", busy: true });
    assert.ok(await page.isVisible("#stop"));
    assert.ok(await page.isHidden("#send"));
    await send(page, { type: "turn", turn: turn({ id: "t1", prompt: "what does main do?" }), replaces: "local-1" });
    assert.equal(await page.locator(".turn").count(), 2, "the local turn was renamed, not duplicated");
    for (const delta of ["It *greets*", " the world:\n\n```python\nprint('hi')\n", "```\n"]) {
      await send(page, { type: "delta", id: "t1", delta });
    }
    await page.waitForSelector('.turn[data-turn-id="t1"] .code-block');
    assert.equal(await page.textContent('.turn[data-turn-id="t1"] em'), "greets");
    assert.equal(await page.textContent('.turn[data-turn-id="t1"] pre code'), "print('hi')\n".trimEnd());
    await page.click("#stop");
    const cancels = await waitPosted(page, "cancel");
    assert.equal(cancels.length, 1);
  });

  test("code block buttons post the block's code", async () => {
    await page.click('.turn[data-turn-id="t1"] .code-block button[data-action="copy"]');
    await page.click('.turn[data-turn-id="t1"] .code-block button[data-action="insert"]');
    assert.deepEqual(await waitPosted(page, "copy"), [{ type: "copy", code: "print('hi')" }]);
    assert.deepEqual(await waitPosted(page, "insert"), [{ type: "insert", code: "print('hi')" }]);
  });

  test("the answer's end state, context summary and detail", async () => {
    await send(page, {
      type: "turn",
      turn: turn({
        id: "t1",
        prompt: "what does main do?",
        text: "It greets.",
        state: "cancelled",
        context: "1,200 / 123,000 tokens · 14 items · 3 dropped",
      }),
    });
    await send(page, { type: "busy", busy: false });
    assert.equal(await page.textContent('.turn[data-turn-id="t1"] .turn-state'), "Stopped");
    assert.equal(await page.textContent('.turn[data-turn-id="t1"] .context-summary'), "Context: 1,200 / 123,000 tokens · 14 items · 3 dropped");
    await page.click('.turn[data-turn-id="t1"] .context-summary');
    assert.deepEqual(await waitPosted(page, "context"), [{ type: "context", id: "t1" }]);
    await send(page, { type: "contextDetail", id: "t1", markdown: "### Included\n\n- `app.py` · 50 tokens" });
    await page.waitForSelector('.turn[data-turn-id="t1"] .context-detail h3');
    assert.match((await page.textContent('.turn[data-turn-id="t1"] .context-detail')) ?? "", /app\.py · 50 tokens/);
  });

  test("Enter sends, Shift+Enter adds a line", async () => {
    await page.click("#prompt");
    await page.keyboard.type("first line");
    await page.keyboard.press("Shift+Enter");
    await page.keyboard.type("second line");
    assert.equal((await posted(page)).filter((m) => m.type === "ask").length, 0);
    await page.keyboard.press("Enter");
    assert.deepEqual(await waitPosted(page, "ask"), [{ type: "ask", prompt: "first line\nsecond line" }]);
    assert.equal(await page.inputValue("#prompt"), "");
  });

  test("session picker and New post their messages", async () => {
    await page.selectOption("#session", "s2");
    assert.deepEqual(await waitPosted(page, "switchSession"), [{ type: "switchSession", sessionId: "s2" }]);
    await page.click("#new-session");
    await waitPosted(page, "newSession");
  });

  test("HTML in an answer is text, and errors show", async () => {
    await send(page, {
      type: "turn",
      turn: turn({ id: "t2", prompt: "x", text: "<img src=x onerror=alert(1)><script>window.pwned=1</script>", state: "error", error: "endpoint down" }),
    });
    await page.waitForSelector('.turn[data-turn-id="t2"] .turn-error');
    assert.equal(await page.locator('.turn[data-turn-id="t2"] .markdown img, .turn[data-turn-id="t2"] .markdown script').count(), 0);
    assert.match((await page.textContent('.turn[data-turn-id="t2"] .markdown')) ?? "", /<script>window.pwned=1<\/script>/);
    assert.equal(await page.textContent('.turn[data-turn-id="t2"] .turn-error'), "endpoint down");
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, "webview-unit.png"), fullPage: true });
    await send(page, { type: "removeTurn", id: "t2" });
    assert.equal(await page.locator('.turn[data-turn-id="t2"]').count(), 0);
  });
});
