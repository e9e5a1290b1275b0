/** The status bar item's text and tooltip. */

import type { StatusSnapshot } from "./ports";

const CHAT_ICON: Record<StatusSnapshot["chat"], string> = {
  idle: "$(comment-discussion)",
  thinking: "$(loading~spin)",
  streaming: "$(loading~spin)",
  error: "$(error)",
};

export interface StatusText {
  text: string;
  tooltip: string;
}

function phaseWord(status: StatusSnapshot): string {
  if (status.server === "running") return status.chat;
  return status.server === "failed" ? "server failed" : status.server;
}

export function formatStatus(status: StatusSnapshot): StatusText {
  const icon = status.server === "running" ? CHAT_ICON[status.chat] : status.server === "failed" ? "$(error)" : "$(sync~spin)";
  const word = phaseWord(status);
  const model = status.model ? `${status.model} · ` : "";
  const tooltipLines = [`Tandem: ${word}`];
  if (status.model) tooltipLines.push(`Model: ${status.model}`);
  if (status.endpoint) tooltipLines.push(`Endpoint: ${status.endpoint}`);
  if (status.detail) tooltipLines.push(status.detail);
  tooltipLines.push("Click to open the chat");
  return { text: `${icon} Tandem: ${model}${word}`, tooltip: tooltipLines.join("\n") };
}
