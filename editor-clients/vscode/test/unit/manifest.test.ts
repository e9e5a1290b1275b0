import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { formatItem, formatPreview, formatRedaction, formatPreviewDocument, formatSummary, longestFence } from "../../src/manifest";

describe("formatSummary", () => {
  test("tokens, items, and only the counts that matter", () => {
    assert.equal(
      formatSummary({ totalTokens: 1200, budget: 123000, items: 14, dropped: 3, redactions: 1 }),
      "1,200 / 123,000 tokens · 14 items · 3 dropped · 1 redaction",
    );
    assert.equal(formatSummary({ totalTokens: 5, budget: 10, items: 1, dropped: 0, redactions: 0 }), "5 / 10 tokens · 1 item");
    assert.equal(formatSummary(null), undefined);
  });
});

describe("formatItem", () => {
  test("path, line range (1-based), kind, tokens, reason", () => {
    const item = {
      path: "src/app.py",
      range: { start: { line: 9, character: 0 }, end: { line: 29, character: 4 } },
      kind: "selection",
      tokens: 321,
      reason: "selected",
    };
    assert.equal(formatItem(item), "- `src/app.py` · lines 10-30 · selection · 321 tokens · (selected)");
  });

  test("the server's manifest entries: section, lines, mode, why; redactions by line", () => {
    const entry = { section: "buffers", kind: "file", path: "app.py", lines: [1, 7], tokens: 18, mode: "whole", why: "open buffer" };
    assert.equal(formatItem(entry), "- `app.py` · lines 1-7 · buffers · whole · 18 tokens · (open buffer)");
    assert.equal(formatItem({ section: "system", kind: "system", tokens: 201 }), "- `system` · 201 tokens");
    assert.equal(formatRedaction({ section: "files", path: ".env", kind: "api-key", line: 3 }), "- `.env` · line 3 · api-key");
  });

  test("other shapes: lines pairs, startLine/endLine, sections without a path", () => {
    assert.equal(formatItem({ path: "a.py", lines: [3, 8] }), "- `a.py` · lines 3-8");
    assert.equal(formatItem({ file: "b.py", startLine: 1, endLine: 2, tokens: 1000 }), "- `b.py` · lines 1-2 · 1,000 tokens");
    assert.equal(formatItem({ section: "history", tokens: 40 }), "- `history` · 40 tokens");
    assert.equal(formatItem({ path: "b.py", lines: [4, 4] }), "- `b.py` · line 4");
    assert.equal(formatItem({}), "- `item`");
  });
});

describe("formatPreview", () => {
  const preview = {
    messages: [
      { role: "system", content: "You are Tandem." },
      { role: "user", content: "what ```does``` main do?" },
    ],
    manifest: {
      included: [{ path: "app.py", tokens: 50 }],
      dropped: [{ path: "big.py", tokens: 9000, reason: "over budget" }],
      redactions: [{ section: "files", path: "conf.py", kind: "password", line: 2 }],
    },
    totalTokens: 120,
    budget: 1000,
  };

  test("included, dropped and totals", () => {
    const text = formatPreview(preview, "what does main do?\nmore");
    assert.match(text, /^## Context for: what does main do\?$/m);
    assert.match(text, /120 of 1,000 tokens in 2 messages/);
    assert.match(text, /### Included\n\n- `app.py` · 50 tokens/);
    assert.match(text, /### Dropped\n\n- `big.py` · 9,000 tokens · \(over budget\)/);
    assert.match(text, /### Redacted\n\n- `conf.py` · line 2 · password/);
  });

  test("without the heading (under an answer)", () => {
    assert.match(formatPreview(preview, "q", false), /^120 of 1,000 tokens/);
  });

  test("an unknown manifest shape is shown as JSON", () => {
    const text = formatPreview({ ...preview, manifest: { something: 1 } }, "q");
    assert.match(text, /```json\n\{\n {2}"something": 1\n\}\n```/);
  });

  test("the document shows every message in a fence longer than its backticks", () => {
    const text = formatPreviewDocument(preview, "q");
    assert.match(text, /### user\n\n````text\nwhat ```does``` main do\?\n````/);
    assert.equal(longestFence("no ticks"), "```");
    assert.equal(longestFence("a ```` b"), "`````");
  });
});
