import assert from "node:assert/strict";
import { test } from "node:test";
import { sessionOptions, shortTime } from "../../src/sessions";
import { formatStatus } from "../../src/statusText";
import { parseFromView } from "../../src/viewMessages";
import { chatPageHtml, contentSecurityPolicy, makeNonce } from "../../src/webviewHtml";

test("the page allows only its nonce'd script and the webview's own resources", () => {
  const resources = { cspSource: "vscode-resource:", nonce: "abc123", scriptUri: "s.js", styleUri: "c.css" };
  const csp = contentSecurityPolicy(resources);
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'nonce-abc123'/);
  assert.ok(!csp.includes("unsafe-inline") && !csp.includes("unsafe-eval"));
  const html = chatPageHtml(resources);
  assert.match(html, /<script nonce="abc123" src="s.js"><\/script>/);
  assert.equal((html.match(/<script/g) ?? []).length, 1);
});

test("nonces are alphanumeric", () => {
  const nonce = makeNonce((size) => Uint8Array.from({ length: size }, (_, i) => i * 37));
  assert.match(nonce, /^[A-Za-z0-9]{16,}$/);
});

test("messages from the view are checked", () => {
  assert.deepEqual(parseFromView({ type: "ask", prompt: "hi" }), { type: "ask", prompt: "hi" });
  assert.equal(parseFromView({ type: "ask" }), undefined);
  assert.equal(parseFromView({ type: "insert", code: 3 }), undefined);
  assert.equal(parseFromView({ type: "rm -rf" }), undefined);
  assert.equal(parseFromView("ask"), undefined);
  assert.deepEqual(parseFromView({ type: "cancel" }), { type: "cancel" });
});

test("sessions: newest first, archived hidden, untitled named", () => {
  const options = sessionOptions([
    { id: "a", title: "Old", created: "2024-01-01T00:00:00Z", updated: "2024-01-01T10:00:00Z", archived: false },
    { id: "b", title: null, created: "2024-01-02T00:00:00Z", updated: "2024-01-02T09:30:00Z", archived: false },
    { id: "c", title: "Gone", created: "2024-01-03T00:00:00Z", updated: "2024-01-03T00:00:00Z", archived: true },
  ]);
  assert.deepEqual(options, [
    { id: "b", label: "Untitled session · 2024-01-02 09:30" },
    { id: "a", label: "Old · 2024-01-01 10:00" },
  ]);
  assert.equal(shortTime("yesterday"), "yesterday");
});

test("status text: model and state", () => {
  assert.deepEqual(formatStatus({ server: "running", chat: "streaming", model: "gpt-4o-mini" }).text, "$(loading~spin) Tandem: gpt-4o-mini · streaming");
  assert.equal(formatStatus({ server: "running", chat: "idle" }).text, "$(comment-discussion) Tandem: idle");
  const failed = formatStatus({ server: "failed", chat: "idle", detail: "not found" });
  assert.equal(failed.text, "$(error) Tandem: server failed");
  assert.match(failed.tooltip, /not found/);
});
