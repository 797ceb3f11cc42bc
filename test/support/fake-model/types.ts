/** Public types of the fake model server (re-exported by `../fake-model-server.ts`). */

export type ApiName = "openai-chat" | "openai-responses" | "anthropic";

export interface ScriptedToolCall {
  name: string;
  args: unknown;
  /** Tool call id on the wire; generated (`call_…` / `toolu_…`) when absent. */
  id?: string;
}

export interface ScriptedUsage {
  /** Total input tokens, cached ones included (as OpenAI counts them; the Anthropic wire gets `input - cached`). */
  input: number;
  output: number;
  /** Input tokens read from the prompt cache. */
  cached?: number;
}

export type ScriptedTurn =
  | {
      text?: string;
      toolCalls?: ScriptedToolCall[];
      usage?: ScriptedUsage;
      /** Characters per text delta and per tool-argument delta (default 4). */
      chunkSize?: number;
    }
  | {
      error: {
        status: number;
        message?: string;
        /** seconds, sent as the Retry-After header */ retryAfter?: number;
      };
    }
  /** A tool call whose arguments are not valid JSON. */
  | { malformedToolCall: { name: string; rawArgs: string } }
  /**
   * A streaming response that closes the socket after `cutAfterChunks` text deltas (the preamble, e.g.
   * `message_start`, is always sent; 0 cuts before the first delta). A non-streaming request gets half its
   * JSON body, then the socket closes.
   */
  | { cutAfterChunks: number; text: string }
  /** Respond with `then` after a delay (lets a test SIGKILL a client mid-request). */
  | { delayMs: number; then: ScriptedTurn };

export interface RecordedRequest {
  api: ApiName;
  path: string;
  /** The parsed JSON body (the raw string if it was not JSON). */
  body: unknown;
  /** Whether the client asked for a streaming response (`"stream": true` in the body). */
  stream: boolean;
  /** Lower-cased header names. */
  headers: Record<string, string>;
}

export interface FakeModelServer {
  /** e.g. http://127.0.0.1:PORT */
  url: string;
  /** url + "/v1": what `createOpenAI({ baseURL })` wants. */
  openaiBaseURL: string;
  /** url + "/v1": what `createAnthropic({ baseURL })` wants. */
  anthropicBaseURL: string;
  /** Every model request received, in order (requests to `/_fake/*` are not recorded). */
  requests: RecordedRequest[];
  /** Append turns to the queue; each model request (any API) consumes one. */
  script(turns: ScriptedTurn[]): void;
  /** Compute the response from the request; used once the script queue is empty. */
  respond(fn: (req: RecordedRequest) => ScriptedTurn): void;
  /** Resolves once at least `count` requests have been received (e.g. before SIGKILLing a client mid-request). */
  waitForRequests(count: number, timeoutMs?: number): Promise<RecordedRequest[]>;
  /** Stops listening and destroys open connections (pending delayed responses are dropped). */
  close(): Promise<void>;
}
