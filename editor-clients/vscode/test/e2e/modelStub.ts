/**
 * The HTTP model stub (tests/support/model_stub.py) run standalone on 127.0.0.1:
 * a Chat Completions endpoint whose answers the test scripts over HTTP
 * (`POST /_stub/script`), and that records the requests it received
 * (`GET /_stub/requests`).
 */

import { existsSync, readFileSync } from "node:fs";
import { type Running, start, waitUntil } from "./processes";

export interface AnswerOptions {
  /** Seconds before each streamed chunk (to stop an answer mid-stream). */
  delaySeconds?: number;
}

export interface ModelStub {
  /** The URL to configure as `tandem.model.baseUrl` (ends in /v1). */
  baseUrl: string;
  /** Queues the next chat answer, streamed as these chunks. */
  answer(chunks: string[], options?: AnswerOptions): Promise<void>;
  /** The next chat request gets this HTTP error. */
  fail(code: number, message: string): Promise<void>;
  /** All message contents of the last chat request, joined by newlines. */
  lastRequestText(): Promise<string>;
  stop(): Promise<void>;
}

interface Message {
  content?: unknown;
}

interface Recorded {
  path?: string;
  body?: { messages?: Message[] };
}

function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) return content.map((part: { text?: unknown }) => (typeof part?.text === "string" ? part.text : "")).join("");
  return "";
}

export async function startModelStub(python: string, repo: string, logFile: string): Promise<ModelStub> {
  const urlFile = `${logFile}.url`;
  const process: Running = start(
    "model-stub",
    python,
    ["-m", "tests.support.model_stub", "--port", "0", "--url-file", urlFile],
    logFile,
    { cwd: repo, env: { ...globalThis.process.env, PYTHONPATH: repo } },
  );
  await waitUntil("the model stub to write its URL", () => Promise.resolve(existsSync(urlFile)), 20_000);
  const baseUrl = readFileSync(urlFile, "utf8").trim();
  const root = baseUrl.replace(/\/v1\/?$/, "");
  const control = async (path: string, body?: unknown): Promise<unknown> => {
    const response = await fetch(`${root}${path}`, {
      method: body === undefined ? "GET" : "POST",
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`model stub ${path}: ${response.status} ${await response.text()}`);
    return response.json();
  };
  return {
    baseUrl,
    answer: async (chunks, options = {}) => {
      const behaviour =
        options.delaySeconds === undefined
          ? { type: "reply", chunks }
          : { type: "slowstream", chunks, delay: options.delaySeconds };
      await control("/_stub/script", { route: "chat", behaviours: [behaviour] });
    },
    fail: async (code, message) => {
      await control("/_stub/script", { route: "chat", behaviours: [{ type: "status", code, message }] });
    },
    lastRequestText: async () => {
      const answer = (await control("/_stub/requests")) as Recorded[] | { requests: Recorded[] };
      const requests = Array.isArray(answer) ? answer : answer.requests;
      const chats = requests.filter((r) => (r.path ?? "").split("?")[0].replace(/\/$/, "").endsWith("/chat/completions"));
      const messages = chats.at(-1)?.body?.messages ?? [];
      return messages.map((m) => contentText(m.content)).join("\n");
    },
    stop: () => process.stop(),
  };
}
