/**
 * What was sent to the model, in words: the one-line summary a chat result carries,
 * and the detail `tandem.previewContext` gives (as markdown).
 *
 * The detailed manifest's items are read defensively: known fields (path, range or
 * lines, tokens, kind, reason) are shown when present, so a server that adds fields
 * still renders.
 */

import type { ManifestSummary, PreviewContextResult } from "./protocol";

const n = (value: number): string => value.toLocaleString("en-US");

function plural(count: number, word: string): string {
  return `${n(count)} ${word}${count === 1 ? "" : "s"}`;
}

export function formatSummary(summary: ManifestSummary | null | undefined): string | undefined {
  if (!summary) return undefined;
  const parts = [`${n(summary.totalTokens)} / ${n(summary.budget)} tokens`, plural(summary.items, "item")];
  if (summary.dropped > 0) parts.push(`${n(summary.dropped)} dropped`);
  if (summary.redactions > 0) parts.push(plural(summary.redactions, "redaction"));
  return parts.join(" · ");
}

type Item = Record<string, unknown>;

const isObject = (v: unknown): v is Item => typeof v === "object" && v !== null && !Array.isArray(v);

function str(item: Item, ...keys: string[]): string | undefined {
  for (const key of keys) {
    const value = item[key];
    if (typeof value === "string" && value !== "") return value;
    if (typeof value === "number") return String(value);
  }
  return undefined;
}

/**
 * "lines 12-30" from `lines: [a, b]` (1-based, the server's manifest), `{start, end}`
 * LSP ranges (0-based), `startLine/endLine`, or one `line`.
 */
export function lineSpan(item: Item): string | undefined {
  const lines = item.lines;
  if (Array.isArray(lines) && lines.length === 2) {
    return lines[0] === lines[1] ? `line ${lines[0]}` : `lines ${lines[0]}-${lines[1]}`;
  }
  const range = item.range;
  if (isObject(range) && isObject(range.start) && isObject(range.end)) {
    const start = Number(range.start.line) + 1;
    const end = Number(range.end.line) + 1;
    return start === end ? `line ${start}` : `lines ${start}-${end}`;
  }
  const start = str(item, "startLine");
  const end = str(item, "endLine");
  if (start && end) return `lines ${start}-${end}`;
  const line = str(item, "line");
  return line ? `line ${line}` : undefined;
}

/**
 * One markdown bullet for an item of the manifest:
 * `path` · lines · section · mode · tokens · (why or reason).
 */
export function formatItem(item: Item): string {
  const where = str(item, "path", "uri", "file", "name", "title", "section", "kind") ?? "item";
  const parts = [`\`${where}\``];
  const span = lineSpan(item);
  if (span) parts.push(span);
  const section = str(item, "section", "kind");
  if (section && section !== where) parts.push(section);
  const mode = str(item, "mode");
  if (mode) parts.push(mode);
  const tokens = str(item, "tokens");
  if (tokens) parts.push(`${Number(tokens).toLocaleString("en-US")} tokens`);
  const reason = str(item, "reason", "why");
  if (reason) parts.push(`(${reason})`);
  return `- ${parts.join(" · ")}`;
}

/** A redaction: where, and what kind of secret (never the secret itself). */
export function formatRedaction(item: Item): string {
  const where = str(item, "path", "section") ?? "request";
  const parts = [`\`${where}\``];
  const span = lineSpan(item);
  if (span) parts.push(span);
  const kind = str(item, "kind");
  if (kind) parts.push(kind);
  return `- ${parts.join(" · ")}`;
}

function itemsOf(value: unknown): Item[] {
  return Array.isArray(value) ? value.filter(isObject) : [];
}

function section(title: string, items: Item[], format: (item: Item) => string = formatItem): string[] {
  return items.length === 0 ? [] : [`### ${title}`, "", ...items.map(format), ""];
}

/** A markdown page for one `tandem.previewContext` answer (`heading`: start with the question). */
export function formatPreview(preview: PreviewContextResult, prompt: string, heading = true): string {
  const manifest = isObject(preview.manifest) ? preview.manifest : {};
  const included = itemsOf(manifest.included ?? manifest.items ?? manifest.sections);
  const dropped = itemsOf(manifest.dropped);
  const redactions = itemsOf(manifest.redactions ?? manifest.redacted);
  const lines = [
    ...(heading ? [`## Context for: ${prompt.split("\n")[0]}`, ""] : []),
    `${n(preview.totalTokens)} of ${n(preview.budget)} tokens in ${plural(preview.messages.length, "message")}.`,
    "",
    ...section("Included", included),
    ...section("Dropped", dropped),
    ...section("Redacted", redactions, formatRedaction),
  ];
  if (included.length + dropped.length + redactions.length === 0 && preview.manifest != null) {
    lines.push("```json", JSON.stringify(preview.manifest, null, 2), "```", "");
  }
  return lines.join("\n");
}

/** The whole request as a document: the manifest first, then every message. */
export function formatPreviewDocument(preview: PreviewContextResult, prompt: string): string {
  const parts = [formatPreview(preview, prompt), "## Messages", ""];
  for (const message of preview.messages) {
    const fence = longestFence(message.content);
    parts.push(`### ${message.role}`, "", fence + "text", message.content, fence, "");
  }
  return parts.join("\n");
}

/** A backtick fence longer than any run of backticks inside `text`. */
export function longestFence(text: string): string {
  const runs = text.match(/`+/g) ?? [];
  const longest = runs.reduce((max, run) => Math.max(max, run.length), 0);
  return "`".repeat(Math.max(3, longest + 1));
}
