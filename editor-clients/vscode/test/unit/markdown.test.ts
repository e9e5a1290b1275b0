import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { escapeHtml, renderMarkdown, safeHref } from "../../src/markdown";

describe("renderMarkdown", () => {
  test("code blocks come with copy and insert buttons and their text apart", () => {
    const { html, codeBlocks } = renderMarkdown("Try:\n\n```python\nprint('<hi>')\n```\n\nand\n\n```\nx = 1\n```\n");
    assert.deepEqual(codeBlocks, ["print('<hi>')", "x = 1"]);
    assert.match(html, /data-code-index="0"/);
    assert.match(html, /data-code-index="1"/);
    assert.match(html, /data-action="copy"/);
    assert.match(html, /data-action="insert"/);
    assert.match(html, /class="language-python"/);
    assert.match(html, /print\(&#39;&lt;hi&gt;&#39;\)/);
  });

  test("each render starts its own list of code blocks", () => {
    renderMarkdown("```\na\n```");
    assert.deepEqual(renderMarkdown("```\nb\n```").codeBlocks, ["b"]);
  });

  test("raw HTML is shown as text, never as markup", () => {
    const { html } = renderMarkdown('Hello <script>alert(1)</script> <img src=x onerror="alert(2)">\n\n<div>block</div>');
    assert.ok(!html.includes("<script"));
    assert.ok(!html.includes("<img"));
    assert.ok(!html.includes("<div>"));
    assert.match(html, /&lt;script&gt;/);
  });

  test("links keep only safe targets; images become links", () => {
    const { html } = renderMarkdown(
      "[ok](https://example.com) [bad](javascript:alert(1)) [mail](mailto:a@b.c) ![pic](https://x/y.png)",
    );
    assert.match(html, /<a href="https:\/\/example.com">ok<\/a>/);
    assert.ok(!html.includes("javascript:"));
    assert.match(html, /bad/);
    assert.match(html, /<a href="mailto:a@b.c">mail<\/a>/);
    assert.match(html, /<a href="https:\/\/x\/y.png">pic<\/a>/);
    assert.ok(!html.includes("<img"));
  });

  test("an unfinished fence while streaming still renders as code", () => {
    const { html, codeBlocks } = renderMarkdown("Here:\n\n```ts\nconst a =");
    assert.deepEqual(codeBlocks, ["const a ="]);
    assert.match(html, /<pre><code class="language-ts">const a =<\/code><\/pre>/);
  });

  test("a hostile language name cannot break out of the attribute", () => {
    const { html } = renderMarkdown('```x" onclick="evil\ncode\n```');
    assert.ok(!html.includes("onclick"));
    assert.match(html, /class="language-x"/);
  });

  test("gfm: tables, lists, emphasis, inline code", () => {
    const { html } = renderMarkdown("| a | b |\n|---|---|\n| 1 | 2 |\n\n- *one*\n- `two`\n");
    assert.match(html, /<table>/);
    assert.match(html, /<em>one<\/em>/);
    assert.match(html, /<code>two<\/code>/);
  });
});

test("escapeHtml and safeHref", () => {
  assert.equal(escapeHtml(`<a href="x">'&'</a>`), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  assert.equal(safeHref(" https://a "), "https://a");
  assert.equal(safeHref("JaVaScRiPt:alert(1)"), undefined);
  assert.equal(safeHref("data:text/html,x"), undefined);
  assert.equal(safeHref("#section"), "#section");
});
