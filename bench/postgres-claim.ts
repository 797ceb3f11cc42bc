// Claim latency with 100,000 waiting runs in the tables. Two databases on the same server: one
// with no waiting runs, one with 100,000 (half waiting on an event that never comes, half on a
// 30-day durable timer). Those are made from two real runs executed by a Worker up to their wait,
// then cloned with SQL into every table holding a run's rows (runs, steps, waits, entries,
// entry_seqs; columns read from the schema; the timers' due times spread a minute apart), then
// VACUUM ANALYZE, as autovacuum would do.
// Then, alternating the databases so both see the same load, 200 times: start one fresh
// runnable run and time `claimRuns` taking it (limit 10, as a Worker at concurrency 10 asks),
// an empty `claimRuns` right after (a worker's idle poll) and `nextWakeAt` (its timer check);
// the claimed run is then completed, untimed. Medians must stay flat (100k ÷ 0 ≤ 1.5x). A third
// journal over the 100k store, whose connections set plan_cache_mode=force_generic_plan, takes
// its turn too: a diagnosis of how much of any difference is re-planning, not a target.
// Then two journals claim at the same moment with 2 × limit runs runnable (limit 1 and 10): how
// often one of them comes back empty-handed although there was a share for it.
// Last, the plans: every query one claim (with a dead owner to look for) and one idle poll send
// is captured as sent and run again under EXPLAIN (ANALYZE, BUFFERS) in a rolled-back
// transaction, as the custom plan pg's prepared statements start with and as the generic plan
// PostgreSQL may switch to after five executions; any Seq Scan on runs is a miss. Also shown:
// the planning time, and which plans the journal's own connection actually used for each
// statement (pg_prepared_statements: a statement stuck on custom plans is planned every time).
import { encodePayload } from "../src/shared/payload.js";
import { measureContention } from "./postgres-claim-contention.js";
import type { Times } from "./postgres-claim-figures.js";
import { GENERIC, claimFigures } from "./postgres-claim-figures.js";
import type { QueryPlan } from "./postgres-claim-plans.js";
import { plansOf } from "./postgres-claim-plans.js";
import type { ClaimOptions, Side } from "./postgres-claim-side.js";
import { WS, WORKFLOWS, fillWaiting, openSide, request } from "./postgres-claim-side.js";
import { chain } from "./postgres-workflows.js";
import type { Figure } from "./support.js";
import { now } from "./support.js";

export type { ClaimOptions } from "./postgres-claim-side.js";
export type { PlanCache, QueryPlan } from "./postgres-claim-plans.js";

const WARMUP = 20;

export interface ClaimResult {
  figures: Figure[];
  plans: QueryPlan[];
}

export async function measureClaims(options: ClaimOptions): Promise<ClaimResult> {
  const sides: Side[] = [];
  try {
    const empty = await openSide(options, "empty", "cairn_claim_empty", { create: true });
    sides.push(empty);
    const waiting = await openSide(options, "waiting", "cairn_claim_waiting", { create: true });
    sides.push(waiting);
    const fillS = await fillWaiting(waiting, options.waiting);
    // A diagnosis, not a target: the same store through a pool whose connections always use the
    // generic plan of a prepared statement (a connection option; Cairn's code unchanged).
    sides.push(
      await openSide(options, "generic", "cairn_claim_waiting", {
        create: false,
        options: `-c plan_cache_mode=${GENERIC}`,
      }),
    );
    await empty.client.query("VACUUM ANALYZE");
    const { rows } = await waiting.client.query<{ n: number; bytes: string }>(
      "SELECT COUNT(*)::int AS n, pg_database_size(current_database()) AS bytes FROM runs WHERE status = 'waiting'",
    );
    const parked = rows[0]!.n;
    if (parked !== options.waiting)
      throw new Error(`expected ${options.waiting} waiting runs, found ${parked}`);

    const times: Record<Side["name"], Times> = {
      empty: { claim: [], idle: [], wake: [] },
      waiting: { claim: [], idle: [], wake: [] },
      generic: { claim: [], idle: [], wake: [] },
    };
    for (let i = 0; i < WARMUP + options.claims; i++) {
      // Each in turn, starting with a different one each time.
      for (const side of [...sides.slice(i % 3), ...sides.slice(0, i % 3)]) {
        const { runId } = await side.engine.start(chain, { steps: 1 });
        let t0 = now();
        const leases = await side.journal.claimRuns(request());
        const claim = now() - t0;
        if (leases.length !== 1 || leases[0]!.runId !== runId)
          throw new Error(`the claim on ${side.name} took ${leases.length} run(s), not the fresh one`);
        t0 = now();
        const none = await side.journal.claimRuns(request());
        const idle = now() - t0;
        if (none.length !== 0) throw new Error("an idle claim found work");
        t0 = now();
        await side.journal.nextWakeAt(WS, WORKFLOWS);
        const wake = now() - t0;
        await side.journal.completeRun(leases[0]!, encodePayload(null, "output"));
        if (i < WARMUP) continue;
        times[side.name].claim.push(claim * 1000);
        times[side.name].idle.push(idle * 1000);
        times[side.name].wake.push(wake * 1000);
      }
    }

    const plans = await plansOf(empty, waiting);
    const contention = await measureContention(empty);

    const figures = claimFigures({
      waiting: options.waiting,
      parked,
      bytes: Number(rows[0]!.bytes),
      fillS,
      times,
      plans,
      contention,
    });
    return { figures, plans };
  } finally {
    for (const side of sides) {
      await side.client.end().catch(() => undefined);
      await side.journal.close().catch(() => undefined);
    }
  }
}
