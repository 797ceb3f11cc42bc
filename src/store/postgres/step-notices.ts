/** How long a run's step commits may go without telling its log's watchers, at most (ms). */
export const NOTICE_WINDOW_MS = 10;

interface Window {
  workspace: string;
  runId: string;
  /** A commit of the run committed without notifying since the window opened. */
  missed: boolean;
  timer: NodeJS.Timeout;
}

/**
 * When the common step commit tells the servers streaming its run (`NOTIFY cairn_log`): in its
 * own statement when it is the run's first commit in NOTICE_WINDOW_MS, else once when that
 * window ends, for all the commits that came in it. A notification costs the database a queue
 * insert under a global lock at each commit; a run committing steps back to back needs one per
 * window, and its watchers read everything new when woken. A process that dies within a window
 * leaves its last commits to the watchers' own periodic look.
 */
export class StepNotices {
  private readonly windows = new Map<string, Window>();

  constructor(
    /** Sends the notification a window owes (its own round trip; failures are the caller's to drop). */
    private readonly send: (workspace: string, runId: string) => Promise<void>,
    private readonly windowMs = NOTICE_WINDOW_MS,
  ) {}

  /** Whether the commit about to be made notifies itself: true opens the run's window. */
  open(workspace: string, runId: string): boolean {
    const key = `${workspace}\t${runId}`;
    if (this.windows.has(key)) return false;
    const timer = setTimeout(() => this.close(key), this.windowMs);
    timer.unref();
    this.windows.set(key, { workspace, runId, missed: false, timer });
    return true;
  }

  /** A commit that did not notify itself has committed: a notification follows soon. */
  committed(workspace: string, runId: string): void {
    const window = this.windows.get(`${workspace}\t${runId}`);
    if (window) window.missed = true;
    // Its window ended while it was in flight: nothing else will tell.
    else this.deliver(workspace, runId);
  }

  /** Sends what the open windows owe now (the journal is closing). */
  async flush(): Promise<void> {
    const owed: Promise<void>[] = [];
    for (const window of this.windows.values()) {
      clearTimeout(window.timer);
      if (window.missed) owed.push(this.send(window.workspace, window.runId).catch(() => undefined));
    }
    this.windows.clear();
    await Promise.all(owed);
  }

  private close(key: string): void {
    const window = this.windows.get(key);
    this.windows.delete(key);
    if (window?.missed) this.deliver(window.workspace, window.runId);
  }

  private deliver(workspace: string, runId: string): void {
    void this.send(workspace, runId).catch(() => undefined);
  }
}
