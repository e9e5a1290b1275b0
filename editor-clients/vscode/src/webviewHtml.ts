/** The chat view's page: strict Content Security Policy, one nonce'd script. */

import { escapeHtml } from "./markdown";

export interface PageResources {
  /** `webview.cspSource`. */
  cspSource: string;
  nonce: string;
  scriptUri: string;
  styleUri: string;
}

export function makeNonce(random: (size: number) => Uint8Array): string {
  return Buffer.from(random(18)).toString("base64").replace(/[^A-Za-z0-9]/g, "");
}

export function contentSecurityPolicy({ cspSource, nonce }: PageResources): string {
  return [
    "default-src 'none'",
    `style-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
    `img-src ${cspSource} data:`,
    `font-src ${cspSource}`,
  ].join("; ");
}

export function chatPageHtml(resources: PageResources): string {
  const csp = escapeHtml(contentSecurityPolicy(resources));
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${escapeHtml(resources.styleUri)}">
<title>Tandem</title>
</head>
<body>
<header class="toolbar">
  <label class="visually-hidden" for="session">Session</label>
  <select id="session" title="Session"></select>
  <button type="button" id="new-session" title="New session">New</button>
</header>
<main id="transcript" aria-live="polite"></main>
<div id="notice" role="status" hidden></div>
<footer class="composer">
  <textarea id="prompt" rows="3" placeholder="Ask Tandem about your workspace (Enter to send, Shift+Enter for a new line)"></textarea>
  <div class="composer-actions">
    <button type="button" id="send">Send</button>
    <button type="button" id="stop" hidden>Stop</button>
  </div>
</footer>
<script nonce="${escapeHtml(resources.nonce)}" src="${escapeHtml(resources.scriptUri)}"></script>
</body>
</html>`;
}
