import type pg from "pg";
import { pgDriver } from "./database.js";

/** The channel migration 4's trigger notifies; the payload is the workspace. */
export const RUNNABLE_CHANNEL = "cairn_runnable";
/**
 * The channel migration 5's trigger notifies on every log entry but a step's result; payload:
 * workspace TAB run id. A step result's writers notify it themselves, followed by TAB STEPS_ONLY.
 */
export const LOG_CHANNEL = "cairn_log";
/** The end of a log notice that tells of step results alone (see LogWatcher's `stepsOnly`). */
export const STEPS_ONLY = "steps";

/** The run and kind of a log notice, from its payload's detail (what follows the workspace). */
export function logNotice(detail: string | undefined): [runId: string | undefined, stepsOnly: boolean] {
  if (detail === undefined) return [undefined, false];
  const tab = detail.indexOf("\t");
  return tab < 0 ? [detail, false] : [detail.slice(0, tab), detail.slice(tab + 1) === STEPS_ONLY];
}

const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 5_000;

/**
 * One connection, outside the pool, that LISTENs for runnable work and calls the watchers of the
 * notified workspace. It connects on the first watcher and closes with the last. When the
 * connection drops (a restart, a network cut) it reconnects with backoff and then calls every
 * watcher once: notifications sent meanwhile are lost, so the watchers look for themselves.
 */
export class RunnableListener {
  private readonly watchers = new Map<string, Set<(detail: string | undefined) => void>>();
  private client: pg.Client | undefined;
  private connecting: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryMs = RETRY_MIN_MS;
  private closed = false;

  /** `channel`: whose payload is a workspace, optionally followed by a tab and a detail. */
  constructor(
    private readonly config: pg.ClientConfig,
    private readonly channel: string = RUNNABLE_CHANNEL,
  ) {}

  watch(workspace: string, onRunnable: (detail: string | undefined) => void): () => void {
    let set = this.watchers.get(workspace);
    if (set === undefined) this.watchers.set(workspace, (set = new Set()));
    set.add(onRunnable);
    if (!this.closed && this.client === undefined && this.connecting === undefined) this.connect();
    return () => {
      set.delete(onRunnable);
      if (set.size === 0) this.watchers.delete(workspace);
      if (this.watchers.size === 0) this.disconnect();
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.disconnect();
    await this.connecting;
  }

  private connect(): void {
    const client = new (pgDriver().Client)(this.config);
    client.on("notification", (n) => {
      if (n.channel === this.channel) this.notify(n.payload);
    });
    const lost = () => {
      if (this.client !== client) return;
      this.client = undefined;
      client.removeAllListeners("error");
      client.on("error", () => undefined);
      void client.end().catch(() => undefined);
      this.scheduleReconnect();
    };
    client.on("error", lost);
    client.on("end", lost);
    this.connecting = (async () => {
      try {
        await client.connect();
        await client.query(`LISTEN ${this.channel}`);
        if (this.closed || this.watchers.size === 0) {
          await client.end();
          return;
        }
        this.client = client;
        this.retryMs = RETRY_MIN_MS;
        // Whatever was notified while not listening is looked for now.
        this.notify(undefined);
      } catch {
        client.on("error", () => undefined);
        await client.end().catch(() => undefined);
        this.scheduleReconnect();
      } finally {
        this.connecting = undefined;
      }
    })();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.watchers.size === 0 || this.retryTimer !== undefined) return;
    const delay = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (!this.closed && this.watchers.size > 0 && this.client === undefined) this.connect();
    }, delay);
    this.retryTimer.unref();
  }

  private disconnect(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const client = this.client;
    this.client = undefined;
    if (client !== undefined) {
      client.removeAllListeners("end");
      void client.end().catch(() => undefined);
    }
  }

  /** Calls the watchers of the payload's workspace, or of every workspace when undefined. */
  private notify(payload: string | undefined): void {
    const tab = payload?.indexOf("\t") ?? -1;
    const workspace = tab < 0 ? payload : payload!.slice(0, tab);
    const detail = tab < 0 ? undefined : payload!.slice(tab + 1);
    const sets = workspace === undefined ? [...this.watchers.values()] : [this.watchers.get(workspace)];
    for (const set of sets) for (const watcher of set ?? []) watcher(detail);
  }
}
