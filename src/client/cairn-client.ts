import { CairnApiError, RunFailedError } from "./errors.js";
import { parseSse } from "./sse.js";
import type {
  Approval,
  BulkAction,
  BulkFilter,
  BulkResult,
  FeedItem,
  ForkOptions,
  Run,
  RunDetail,
  RunDiff,
  RunEvent,
  RunPage,
  RunResult,
  RunStatus,
  RunSummary,
  Session,
  SessionInfo,
  UsageBucket,
  WorkflowInfo,
} from "./types.js";

export interface CairnClientOptions {
  /** Where the API is, e.g. "https://cairn.example.com" or "http://127.0.0.1:3000". */
  baseUrl: string;
  /** An API key (cairn keys create); none for `cairn dev`. */
  apiKey?: string;
  /** A fetch to use instead of the global one. */
  fetch?: typeof fetch;
}

export interface StartOptions {
  /** The same key returns the same run, however often it is sent. */
  idempotencyKey?: string;
  /** Wait up to this long (ms) for the run to end before answering. */
  waitMs?: number;
  /** Do not start before this time. */
  runAt?: Date | number;
}

export interface ListOptions {
  status?: RunStatus;
  workflow?: string;
  parent?: string;
  createdAfter?: Date | number;
  createdBefore?: Date | number;
  limit?: number;
  cursor?: string;
}

export interface StreamOptions {
  /** Events after this one (0: from the start). Default 0. */
  after?: number;
  signal?: AbortSignal;
  /** Longest pause between reconnections (ms). Default 5,000. */
  maxRetryDelayMs?: number;
}

/**
 * The Cairn API over `fetch`: no Node-only dependency, so it runs in a browser as in Node.
 *
 * @example
 * const cairn = new CairnClient({ baseUrl: "http://127.0.0.1:3000", apiKey: "cairn_…" });
 * const { run } = await cairn.start("poster", { message: "Post about our launch" });
 * for await (const event of cairn.stream(run.id)) show(event.type);
 * const output = await cairn.result(run.id);
 */
export class CairnClient {
  private readonly base: string;
  private readonly doFetch: typeof fetch;

  constructor(private readonly options: CairnClientOptions) {
    this.base = options.baseUrl.replace(/\/+$/, "");
    this.doFetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  /** Starts a run of a workflow or an agent. `waitMs`: the ended run if it ends in time. */
  async start(
    workflow: string,
    input?: unknown,
    options: StartOptions = {},
  ): Promise<{ run: Run; created: boolean }> {
    const headers: Record<string, string> = {};
    if (options.idempotencyKey !== undefined) headers["idempotency-key"] = options.idempotencyKey;
    const query = options.waitMs ? `?wait=${Math.ceil(options.waitMs)}ms` : "";
    const runAt = options.runAt instanceof Date ? options.runAt.getTime() : options.runAt;
    return this.json(
      "POST",
      `/v1/runs${query}`,
      { workflow, input, ...(runAt !== undefined ? { runAt } : {}) },
      headers,
    );
  }

  /** A run with its steps, attempts, usage and child runs. */
  get(runId: string): Promise<RunDetail> {
    return this.json("GET", `/v1/runs/${encodeURIComponent(runId)}`);
  }

  /** One page of runs, newest first; pass `nextCursor` back as `cursor` for the next. */
  list(options: ListOptions = {}): Promise<RunPage> {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(options)) {
      if (v === undefined) continue;
      q.set(k, v instanceof Date ? String(v.getTime()) : String(v));
    }
    const s = q.toString();
    return this.json("GET", `/v1/runs${s ? `?${s}` : ""}`);
  }

  /** Every run matching the filter, page after page. */
  async *listAll(options: Omit<ListOptions, "cursor"> = {}): AsyncGenerator<RunSummary> {
    let cursor: string | undefined;
    do {
      const page = await this.list({ ...options, ...(cursor ? { cursor } : {}) });
      yield* page.runs;
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
  }

  /**
   * Waits for the run to end and returns its output (long-polling, 30 s at a time); throws
   * RunFailedError when it failed or was cancelled, CairnApiError CAIRN_WAIT_TIMEOUT after
   * `timeoutMs`.
   */
  async result<T = unknown>(
    runId: string,
    options: { timeoutMs?: number; signal?: AbortSignal } = {},
  ): Promise<T> {
    const deadline = options.timeoutMs === undefined ? Infinity : Date.now() + options.timeoutMs;
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0)
        throw new CairnApiError(
          0,
          "CAIRN_WAIT_TIMEOUT",
          `run ${runId} had not ended after ${options.timeoutMs} ms`,
        );
      const waitMs = Math.max(1, Math.min(30_000, left));
      const r = await this.json<RunResult>(
        "GET",
        `/v1/runs/${encodeURIComponent(runId)}/result?wait=${waitMs}ms`,
        undefined,
        {},
        options.signal,
      );
      if (r.status === "completed") return r.output as T;
      if (r.status === "failed" || r.status === "cancelled") {
        throw new RunFailedError(
          runId,
          r.status,
          r.error?.message ?? `run ${runId} ${r.status}`,
          r.error?.code,
        );
      }
    }
  }

  /**
   * The run's events as they happen, ending after `run.ended`. A dropped connection is resumed
   * from the last event received (Last-Event-ID): nothing is missed or repeated.
   */
  async *stream(runId: string, options: StreamOptions = {}): AsyncGenerator<RunEvent> {
    let last = options.after ?? 0;
    const path = `/v1/runs/${encodeURIComponent(runId)}/stream`;
    for await (const data of this.follow(path, () => (last > 0 ? String(last) : undefined), options)) {
      const event = JSON.parse(data) as RunEvent;
      if (event.seq <= last) continue;
      last = event.seq;
      yield event;
      if (event.type === "run.ended") return;
    }
  }

  /**
   * The workspace feed as it happens (`GET /v1/events`): every run's state changes, approvals
   * requested and decided, events sent. It does not end: stop it with `signal`. `after`: a cursor
   * to resume from; without one, `from` says where to begin: `"start"` (the default) or `"now"`
   * (only what changes from now on, as a live list needs). Resumes by itself after a dropped
   * connection, from the last item it gave.
   */
  async *feed(
    options: Omit<StreamOptions, "after"> & { after?: string; from?: "start" | "now" } = {},
  ): AsyncGenerator<FeedItem> {
    let last = options.after;
    const path = options.from === "now" ? "/v1/events?from=now" : "/v1/events";
    for await (const data of this.follow(path, () => last, options)) {
      const item = JSON.parse(data) as FeedItem;
      last = item.cursor;
      yield item;
    }
  }

  /** Cancels a run (and its children). */
  cancel(runId: string, reason?: string): Promise<{ runId: string; status: RunStatus }> {
    return this.json("POST", `/v1/runs/${encodeURIComponent(runId)}/cancel`, reason ? { reason } : {});
  }

  /** Approval requests (pending unless `status` says otherwise). */
  async approvals(
    options: { status?: Approval["status"] | "all"; runId?: string } = {},
  ): Promise<Approval[]> {
    const q = new URLSearchParams(options as Record<string, string>).toString();
    return (await this.json<{ approvals: Approval[] }>("GET", `/v1/approvals${q ? `?${q}` : ""}`)).approvals;
  }

  /** Approves, as the API key's principal; `args` approves with changed arguments. */
  approve(approvalId: string, options: { args?: unknown; reason?: string } = {}): Promise<Approval> {
    return this.json("POST", `/v1/approvals/${encodeURIComponent(approvalId)}/decision`, {
      approve: true,
      ...options,
    });
  }

  /** Rejects, with the reason the agent is told. */
  reject(approvalId: string, reason: string): Promise<Approval> {
    return this.json("POST", `/v1/approvals/${encodeURIComponent(approvalId)}/decision`, {
      approve: false,
      reason,
    });
  }

  /** Sends a message to an agent session (its policy applies when it is busy). */
  send(agent: string, session: string, message: string): Promise<{ runId: string; outcome: string }> {
    return this.json(
      "POST",
      `/v1/sessions/${encodeURIComponent(agent)}/${encodeURIComponent(session)}/messages`,
      { message },
    );
  }

  /** Sends an event to the runs waiting for it and the workflows it triggers. */
  sendEvent(
    name: string,
    data?: unknown,
    id?: string,
  ): Promise<{ eventId: string; resumedRuns: string[]; startedRuns: string[] }> {
    return this.json("POST", "/v1/events", { name, data, ...(id ? { id } : {}) });
  }

  /** The workflows and agents this server can start, with each agent's tools and their schemas. */
  async workflows(): Promise<WorkflowInfo[]> {
    return (await this.json<{ workflows: WorkflowInfo[] }>("GET", "/v1/workflows")).workflows;
  }

  /** Agent sessions, most recently active first (`agent`: one agent's). */
  async sessions(options: { agent?: string } = {}): Promise<SessionInfo[]> {
    const q = options.agent ? `?agent=${encodeURIComponent(options.agent)}` : "";
    return (await this.json<{ sessions: SessionInfo[] }>("GET", `/v1/sessions${q}`)).sessions;
  }

  /** One session's conversation and runs. */
  session(agent: string, session: string): Promise<Session> {
    return this.json("GET", `/v1/sessions/${encodeURIComponent(agent)}/${encodeURIComponent(session)}`);
  }

  /**
   * A new run that reuses `runId`'s steps before `options.from` (not executed or paid for again)
   * and executes from there, with the changes given and its workspace files as they were before
   * that step. The original run is untouched.
   */
  fork(runId: string, options: ForkOptions): Promise<{ run: Run }> {
    return this.json("POST", `/v1/runs/${encodeURIComponent(runId)}/fork`, options);
  }

  /** Two runs' steps side by side, and the first step where they diverge. */
  diff(a: string, b: string): Promise<RunDiff> {
    return this.json("GET", `/v1/runs/${encodeURIComponent(a)}/diff/${encodeURIComponent(b)}`);
  }

  /**
   * Cancels, reruns or deletes every run matching `filter`. Without `confirm` nothing happens: the
   * answer says how many runs match (`confirmWith`); send that count as `confirm` to act.
   */
  bulk(action: BulkAction, filter: BulkFilter, confirm?: number): Promise<BulkResult> {
    return this.json("POST", "/v1/runs/bulk", {
      action,
      filter,
      ...(confirm !== undefined ? { confirm } : {}),
    });
  }

  /** Deletes an ended run and what it stored. */
  async remove(runId: string): Promise<void> {
    await this.json("DELETE", `/v1/runs/${encodeURIComponent(runId)}`);
  }

  /** Tokens and cost per agent and model, in day or hour buckets. */
  async usage(options: { from?: number; to?: number; bucket?: "day" | "hour" } = {}): Promise<UsageBucket[]> {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(options)) if (v !== undefined) q.set(k, String(v));
    const s = q.toString();
    return (await this.json<{ buckets: UsageBucket[] }>("GET", `/v1/usage${s ? `?${s}` : ""}`)).buckets;
  }

  /** An SSE resource's data, reconnecting after a drop with Last-Event-ID from `lastId()`. */
  private async *follow(
    path: string,
    lastId: () => string | undefined,
    options: { signal?: AbortSignal; maxRetryDelayMs?: number },
  ): AsyncGenerator<string> {
    let delay = 250;
    for (;;) {
      if (options.signal?.aborted) return;
      try {
        const last = lastId();
        const res = await this.doFetch(this.base + path, {
          headers: {
            ...this.auth(),
            accept: "text/event-stream",
            ...(last !== undefined ? { "last-event-id": last } : {}),
          },
          ...(options.signal ? { signal: options.signal } : {}),
        });
        if (!res.ok) throw await apiError(res);
        // Nothing more will ever come (a run stream resumed after its end).
        if (res.status === 204) return;
        for await (const message of parseSse(res.body!)) {
          delay = 250;
          yield message.data;
        }
      } catch (err) {
        if (err instanceof CairnApiError && err.status < 500 && err.status !== 429) throw err;
        if (options.signal?.aborted) return;
      }
      // The stream ended early (a restart, a proxy, a lost network): resume after a pause.
      await pause(delay, options.signal);
      delay = Math.min(delay * 2, options.maxRetryDelayMs ?? 5_000);
    }
  }

  private auth(): Record<string, string> {
    return this.options.apiKey ? { authorization: `Bearer ${this.options.apiKey}` } : {};
  }

  private async json<T>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
    signal?: AbortSignal,
  ): Promise<T> {
    const res = await this.doFetch(this.base + path, {
      method,
      headers: {
        ...this.auth(),
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
        ...headers,
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      ...(signal ? { signal } : {}),
    });
    if (!res.ok) throw await apiError(res);
    if (res.status === 204) return undefined as T;
    return (await res.json()) as T;
  }
}

async function apiError(res: Response): Promise<CairnApiError> {
  let code = "CAIRN_HTTP";
  let message = `HTTP ${res.status}`;
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string } };
    code = body.error?.code ?? code;
    message = body.error?.message ?? message;
  } catch {
    // not JSON: keep the status
  }
  return new CairnApiError(res.status, code, message);
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
  });
}
