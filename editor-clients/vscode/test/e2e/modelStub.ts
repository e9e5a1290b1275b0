/**
 * The HTTP model stub (tests/support/model_stub.py) run standalone on 127.0.0.1:
 * a Chat Completions endpoint whose answers the test scripts, and that records the
 * request bodies it received.
 */

import { freePort, type Running, start, waitUntil } from "./processes";

export interface AnswerOptions {
  /** Pause between streamed chunks (to stop an answer mid-stream). */
  delaySeconds?: number;
}

export interface ModelStub {
  baseUrl: string;
  /** Queues the next answer, streamed as these chunks. */
  answer(chunks: string[], options?: AnswerOptions): Promise<void>;
  /** All message contents of the last chat request, joined. */
  lastRequestText(): Promise<string>;
  stop(): Promise<void>;
}

interface RecordedRequest {
  messages?: { content?: unknown }[];
}

export async function startModelStub(python: string, repo: string, logFile: string): Promise<ModelStub> {
  const port = await freePort();
  const process: Running = start("model-stub", python, ["-m", "tests.support.model_stub", "--port", String(port)], logFile, {
    cwd: repo,
    env: { ...globalThis.process.env, PYTHONPATH: repo },
  });
  const root = `http://127.0.0.1:${port}`;
  await waitUntil("the model stub to listen", async () => (await fetch(`${root}/v1/models`)).ok, 20_000);
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
    baseUrl: `${root}/v1`,
    answer: async (chunks, options = {}) => {
      await control("/_stub/answers", { chunks, delay: options.delaySeconds ?? 0 });
    },
    lastRequestText: async () => {
      const requests = (await control("/_stub/requests")) as RecordedRequest[];
      const last = requests.at(-1);
      return (last?.messages ?? []).map((m) => (typeof m.content === "string" ? m.content : JSON.stringify(m.content))).join("\n");
    },
    stop: () => process.stop(),
  };
}

