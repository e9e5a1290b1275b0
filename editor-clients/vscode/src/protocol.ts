/**
 * The server's wire contract (docs/protocol.md), as TypeScript types.
 *
 * Every command takes one JSON object (or nothing); keys are camelCase.
 */

export const Commands = {
  chat: "tandem.chat",
  askAboutSelection: "tandem.askAboutSelection",
  cancel: "tandem.cancel",
  previewContext: "tandem.previewContext",
  status: "tandem.status",
  listModels: "tandem.listModels",
  newSession: "tandem.newSession",
  listSessions: "tandem.listSessions",
  switchSession: "tandem.switchSession",
  getTranscript: "tandem.getTranscript",
  resetWorkspace: "tandem.resetWorkspace",
  exportSession: "tandem.exportSession",
} as const;

export const Notifications = {
  chatStatus: "tandem/chatStatus",
  chatDelta: "tandem/chatDelta",
} as const;

/** JSON-RPC error codes the server answers with. */
export const ErrorCodes = {
  invalidParams: -32602,
  requestFailed: -32803,
  requestCancelled: -32800,
} as const;

export interface Position {
  line: number;
  character: number;
}

export interface Range {
  start: Position;
  end: Position;
}

export type TurnStatus = "complete" | "cancelled" | "error";
export type ChatStatusKind = "started" | "streaming" | TurnStatus;
export type MessageStatus = "complete" | "partial" | "cancelled" | "error";

export interface Usage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
}

/** The short manifest a chat result carries. */
export interface ManifestSummary {
  totalTokens: number;
  budget: number;
  items: number;
  dropped: number;
  redactions: number;
}

export interface ChatArgs {
  prompt: string;
  sessionId?: string;
  uri?: string;
  range?: Range;
}

export interface AskAboutSelectionArgs {
  uri: string;
  range: Range;
  question?: string;
  diagnostics?: string[];
}

export interface ChatResult {
  sessionId: string;
  turnId: string;
  text: string;
  status: TurnStatus;
  usage: Usage | null;
  manifest: ManifestSummary | null;
  error: string | null;
}

export interface ChatStatusParams {
  turnId: string;
  sessionId: string;
  status: ChatStatusKind;
  prompt?: string;
  message?: string;
}

export interface ChatDeltaParams {
  turnId: string;
  sessionId: string;
  delta: string;
}

export interface PreviewContextResult {
  messages: { role: string; content: string }[];
  manifest: unknown;
  totalTokens: number;
  budget: number;
}

export interface StatusResult {
  version: string;
  dataDir: string;
  model: string;
  endpoint: string | null;
  historyBackend: string;
  index?: { state: string; files: number; chunks: number };
}

export interface ListModelsResult {
  endpoint: string | null;
  models: string[];
}

export interface SessionInfo {
  id: string;
  title: string | null;
  created: string;
  updated: string;
  archived: boolean;
}

export interface ListSessionsResult {
  activeSessionId: string | null;
  sessions: SessionInfo[];
}

export interface TranscriptMessage {
  id: string;
  seq: number;
  role: string;
  content: string;
  status: MessageStatus;
  created: string;
  model: string | null;
  usage: Usage | null;
  turnId: string | null;
  error: string | null;
  /** The context summary of an answer, when the server includes it. */
  manifest?: ManifestSummary | null;
}

export interface Transcript {
  sessionId: string | null;
  title: string | null;
  messages: TranscriptMessage[];
}

export interface ResetResult {
  mode: "archive" | "delete";
  sessions: number;
}
