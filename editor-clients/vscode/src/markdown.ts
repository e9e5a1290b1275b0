/**
 * Markdown to HTML for the chat view, safe to put into the DOM: raw HTML in the
 * model's answer is shown as text, links keep only http(s)/mailto targets, images
 * become links. Code blocks get Copy / Insert buttons; their text is returned apart
 * so the buttons never read code back from the DOM.
 *
 * Runs in the webview (bundled by esbuild) and in node (unit tests).
 */

import { Marked, type Tokens } from "marked";

export interface Rendered {
  html: string;
  codeBlocks: string[];
}

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

const SAFE_URL = /^(https?:|mailto:|#)/i;

export function safeHref(href: string): string | undefined {
  const trimmed = href.trim();
  return SAFE_URL.test(trimmed) ? trimmed : undefined;
}

let collected: string[] = [];

function codeBlock({ text, lang }: Tokens.Code): string {
  const index = collected.push(text) - 1;
  const language = (lang ?? "").match(/^[\w+#.-]+/)?.[0] ?? "";
  const langClass = language ? ` class="language-${escapeHtml(language)}"` : "";
  const label = language ? `<span class="code-lang">${escapeHtml(language)}</span>` : "";
  return (
    `<div class="code-block" data-code-index="${index}">` +
    `<div class="code-toolbar">${label}` +
    `<button type="button" class="code-copy" data-action="copy" title="Copy">Copy</button>` +
    `<button type="button" class="code-insert" data-action="insert" title="Insert at cursor">Insert</button>` +
    `</div><pre><code${langClass}>${escapeHtml(text)}</code></pre></div>\n`
  );
}

const marked = new Marked({
  gfm: true,
  breaks: false,
  renderer: {
    code: codeBlock,
    html: ({ text }) => escapeHtml(text),
    link(token) {
      const inner = this.parser.parseInline(token.tokens);
      const href = safeHref(token.href);
      if (href === undefined) return inner;
      const title = token.title ? ` title="${escapeHtml(token.title)}"` : "";
      return `<a href="${escapeHtml(href)}"${title}>${inner}</a>`;
    },
    image({ href, text }) {
      const safe = safeHref(href);
      const label = escapeHtml(text || href);
      return safe === undefined ? label : `<a href="${escapeHtml(safe)}">${label}</a>`;
    },
  },
});

export function renderMarkdown(text: string): Rendered {
  collected = [];
  try {
    const html = marked.parse(text, { async: false });
    return { html, codeBlocks: collected };
  } finally {
    collected = [];
  }
}
