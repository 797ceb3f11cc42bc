import { nextRetryMs } from "../engine/run-log.js";
import { RunTreeProgress } from "../engine/run-tree-progress.js";
import { CairnError, ErrorCode } from "../shared/errors.js";
import { isTerminal } from "../store/records.js";
import type { RunSummary } from "../store/records.js";
import type { CliContext } from "./engine-context.js";
import { dim } from "./format.js";
import { askApprovals, canAsk, printHint } from "./interactive-approval.js";
import { printProgress, stdout } from "./progress-printer.js";
import { StoreOutage } from "./store-outage.js";

/** First wait before reading a store that did not answer again (then see nextRetryMs). */
const RETRY_MS = 250;

export interface FollowOptions {
  /** Print each step and a model's tokens as they happen. */
  print: boolean;
  /** Claim and execute the run and its child runs here when no worker holds them. Default true. */
  execute?: boolean;
  /** Print the run's log from its start (a run just started) or only what happens from now on. */
  fromStart?: boolean;
  /**
   * Print from this process's own engine instead of the run's log: for `cairn demo --crash-after`,
   * which dies right after a commit, before a log reader could have read it.
   */
  fromEngine?: boolean;
  /** A line printed once Ctrl-C is handled (it names the run, which a test may wait for). */
  heading?: string;
}

/**
 * Follows a run and the child runs it starts until it ends or must wait longer than `followMs`
 * (then it stays durably waiting for a worker), executing them here unless a worker already
 * holds them. What is printed is read from the runs' logs, so it is the same whichever process
 * executes them. Ctrl-C stops following and leaves the run to the workers.
 */
export async function follow(
  ctx: CliContext,
  runId: string,
  followMs: number,
  options: FollowOptions,
): Promise<RunSummary> {
  const { print } = options;
  const execute = options.execute ?? true;
  const tree = new Set([runId]);
  const later = new Set<string>();
  const printer = printProgress(stdout, (id) => tree.has(id));
  const feed =
    print && !options.fromEngine
      ? new RunTreeProgress(ctx.journal, ctx.workspace, runId, printer, {
          fromStart: options.fromStart ?? true,
        })
      : undefined;
  feed?.start();
  // Only this process knows it lost a lease, or started a step that records no start in the log.
  const stopEngine = !print
    ? () => {}
    : ctx.engine.on((p) => {
        if (options.fromEngine || p.type === "run.lease_lost") printer(p);
        else if (p.type === "step.started" && tree.has(p.runId)) feed?.started(p);
      });
  const onInterrupt = () => {
    process.stdout.write("\n");
    console.error(
      `cairn: stopped following run ${runId}; it goes on (\`cairn worker\` executes it). ` +
        `Follow it again: cairn runs show ${runId} --follow`,
    );
    process.exit(130);
  };
  process.once("SIGINT", onInterrupt);
  if (options.print && options.heading !== undefined) console.log(options.heading);
  let unclaimedSince: number | undefined;
  const outage = new StoreOutage(runId);
  let retryMs = RETRY_MS;
  try {
    for (;;) {
      try {
        let executed = false;
        for (const id of [...tree]) {
          const lease = execute ? await ctx.engine.claimRun(id) : undefined;
          if (lease) {
            executed = true;
            await ctx.engine.execute(lease);
          }
          for (const child of await ctx.journal.listRuns(ctx.workspace, { parentRunId: id })) {
            if (!isTerminal(child.status)) tree.add(child.id);
          }
        }
        const run = (await ctx.journal.getRunSummary(ctx.workspace, runId))!;
        outage.answered();
        retryMs = RETRY_MS;
        if (isTerminal(run.status) || run.status === "needs-attention") return run;
        if (executed) continue;
        const wakes: number[] = [];
        for (const id of tree) {
          const r = await ctx.journal.getRunSummary(ctx.workspace, id);
          if (r && !isTerminal(r.status)) wakes.push(r.wakeAt ?? r.leaseExpiresAt ?? Infinity);
        }
        const now = await ctx.journal.now();
        const next = Math.min(...wakes);
        // Due, yet no worker has taken it for followMs: nobody is there to execute it.
        unclaimedSince = run.status === "running" || next > now ? undefined : (unclaimedSince ?? now);
        if (!execute && unclaimedSince !== undefined && now - unclaimedSince > followMs) {
          await feed?.catchUp();
          if (print)
            console.log(
              dim(`  no worker took the run in ${Math.round(followMs / 1000)}s; start one: cairn worker`),
            );
          return run;
        }
        if (run.status !== "running" && next - now > followMs) {
          await feed?.catchUp();
          const pending = [];
          for (const id of tree) {
            const mine = await ctx.journal.listApprovals(ctx.workspace, {
              runId: id,
              status: "pending",
              limit: 1000,
            });
            pending.push(...mine.filter((a) => !later.has(a.id)));
          }
          if (pending.length === 0) return run;
          if (print && canAsk(ctx) && (await askApprovals(ctx, pending, later))) continue;
          if (print && !canAsk(ctx)) for (const a of pending) printHint(a, pending);
          return run;
        }
        await new Promise((r) => setTimeout(r, Math.max(10, Math.min(250, next - now))));
      } catch (err) {
        // The store did not answer: the run is safe in it; claim and read again, less often.
        if (!CairnError.is(err, ErrorCode.Store)) throw err;
        retryMs = nextRetryMs(retryMs);
        outage.failed(err, retryMs);
        await new Promise((r) => setTimeout(r, retryMs));
      }
    }
  } finally {
    process.off("SIGINT", onInterrupt);
    await feed?.stop();
    stopEngine();
  }
}
