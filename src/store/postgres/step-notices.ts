/** How long a run's step commits may go without telling its log's watchers, at most (ms). */
export const NOTICE_WINDOW_MS = 10;

interface Window {
  workspace: string;
  runId: string;
  /** A commit of the run committed without notifying since the window opened. */
  missed: boolean;
  /** The window has ended owing a notification: the run's next commit carries it. */
  due: boolean;
  /** Commits of the run under way that do not notify. */
  inFlight: number;
  timer: NodeJS.Timeout;
}

/**
 * When the common step commit tells the servers streaming its run (`NOTIFY cairn_log`): in its
 * own statement when it is the run's first commit in NOTICE_WINDOW_MS; the commits after it in
 * that window do not. A window that ends owing a notification leaves it to the run's next commit,
 * and sends it on its own (a round trip, and a commit the server flushes to disk) only when no
 * commit comes within another window: a separate notification per window cost a run committing
 * back to back about a sixth of its step time. Watchers read everything new when woken. A
 * process that dies within a window leaves its last commits to the watchers' own periodic look.
 */
export class StepNotices {
  private readonly windows = new Map<string, Window>();

  constructor(
    /** Sends the notification a window owes (its own round trip; failures are the caller's to drop). */
    private readonly send: (workspace: string, runId: string) => Promise<void>,
    private readonly windowMs = NOTICE_WINDOW_MS,
  ) {}

  /**
   * Whether the commit about to be made notifies itself: true when the run has no window open
   * (it opens one) or its window ended owing a notification (this commit carries it, and a new
   * window opens). A commit told false must report with `committed` once it is written or not.
   */
  open(workspace: string, runId: string): boolean {
    const key = `${workspace}\t${runId}`;
    const window = this.windows.get(key);
    if (window === undefined) {
      this.windows.set(key, {
        workspace,
        runId,
        missed: false,
        due: false,
        inFlight: 0,
        timer: this.timer(key),
      });
      return true;
    }
    if (!window.due) {
      window.inFlight++;
      return false;
    }
    clearTimeout(window.timer);
    Object.assign(window, { missed: false, due: false, timer: this.timer(key) });
    return true;
  }

  /** A commit told false by `open` has ended: a notification is owed for it. */
  committed(workspace: string, runId: string): void {
    const window = this.windows.get(`${workspace}\t${runId}`);
    if (window === undefined) return this.deliver(workspace, runId);
    window.inFlight = Math.max(0, window.inFlight - 1);
    window.missed = true;
  }

  /** A commit told true by `open` did not notify (it failed): what it would have told is owed. */
  unsent(workspace: string, runId: string): void {
    const window = this.windows.get(`${workspace}\t${runId}`);
    if (window === undefined) this.deliver(workspace, runId);
    else window.missed = true;
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

  private timer(key: string): NodeJS.Timeout {
    const timer = setTimeout(() => this.ended(key), this.windowMs);
    timer.unref();
    return timer;
  }

  /** A window (or the wait for a commit to carry what it owes) is over. */
  private ended(key: string): void {
    const window = this.windows.get(key);
    if (window === undefined) return;
    if (window.due && window.inFlight === 0) {
      // No commit came to carry it: it goes on its own.
      this.windows.delete(key);
      return this.deliver(window.workspace, window.runId);
    }
    if (!window.missed && window.inFlight === 0) {
      this.windows.delete(key);
      return;
    }
    // Owed, or soon to be (a commit is under way): the next commit carries it, or the next turn sends it.
    window.due = true;
    window.timer = this.timer(key);
  }

  private deliver(workspace: string, runId: string): void {
    void this.send(workspace, runId).catch(() => undefined);
  }
}
