/** Session lists for the picker in the view and the quick pick. */

import type { SessionInfo } from "./protocol";
import type { SessionOption } from "./viewMessages";

/** "2024-11-25 08:31" from an ISO timestamp (UTC), or the input when unparsable. */
export function shortTime(iso: string): string {
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(iso);
  return match ? `${match[1]} ${match[2]}` : iso;
}

export function sessionLabel(session: SessionInfo): string {
  const title = session.title?.trim() || "Untitled session";
  return `${title} · ${shortTime(session.updated)}`;
}

/** Sessions not archived, most recently updated first. */
export function sessionOptions(sessions: readonly SessionInfo[]): SessionOption[] {
  return sessions
    .filter((s) => !s.archived)
    .sort((a, b) => b.updated.localeCompare(a.updated))
    .map((s) => ({ id: s.id, label: sessionLabel(s) }));
}
