// The claim benchmark's figures (see postgres-claim.ts): latencies 0 vs N waiting, the plans,
// and two claimers at once, as rows of the report.
import type { Contention } from "./postgres-claim-contention.js";
import type { PlanCache, QueryPlan } from "./postgres-claim-plans.js";
import type { Figure } from "./support.js";
import { fmt, median, mib } from "./support.js";

/** A claim latency may grow by this factor from 0 to 100,000 waiting runs: index lookups, no scans. */
const TARGET_RATIO = 1.5;
export const GENERIC = "force_generic_plan";

/** Latencies in µs, per database: the empty one, the one with waiting runs, and it with generic plans. */
export interface Times {
  claim: number[];
  idle: number[];
  wake: number[];
}

export interface ClaimMeasures {
  waiting: number;
  /** Waiting runs found in the tables, and the database's size in bytes. */
  parked: number;
  bytes: number;
  /** Seconds taken to fill the database. */
  fillS: number;
  times: Record<"empty" | "waiting" | "generic", Times>;
  plans: QueryPlan[];
  contention: Contention[];
}

function cacheText(c: PlanCache | undefined): string {
  return c === undefined ? "n/a" : `${c.generic} generic/${c.custom} custom`;
}

function percentile(values: readonly number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}

/** The figures of the report, each target judged. */
export function claimFigures({
  waiting,
  parked,
  bytes,
  fillS,
  times,
  plans,
  contention,
}: ClaimMeasures): Figure[] {
  const n = fmt(waiting);
  const section = `4. claims, ${n} waiting`;
  const figures: Figure[] = [
    {
      section,
      metric: `setup: waiting runs in the tables`,
      value: parked,
      unit: "runs",
      note: `2 real parked runs cloned by SQL in ${fmt(fillS)} s (half on an event, half on a 30-day timer); VACUUM ANALYZE; database ${fmt(mib(bytes))} MiB`,
    },
  ];
  const row = (what: string, key: keyof Times, judged: boolean) => {
    const e = times.empty[key];
    const w = times.waiting[key];
    const g = times.generic[key];
    const ratio = median(w) / median(e);
    figures.push(
      {
        section,
        metric: `${what}: 0 waiting, median`,
        value: median(e),
        unit: "µs",
        note: `p99 ${fmt(percentile(e, 99))} µs; ${e.length} samples`,
      },
      {
        section,
        metric: `${what}: ${n} waiting, median`,
        value: median(w),
        unit: "µs",
        note:
          `${fmt(ratio)}x 0 waiting${judged ? ` (target ≤ ${TARGET_RATIO}x)` : ""}; p99 ${fmt(percentile(w, 99))} µs ` +
          `(${fmt(percentile(w, 99) / percentile(e, 99))}x)`,
        ...(judged ? { ok: ratio <= TARGET_RATIO } : {}),
      },
      {
        section,
        metric: `${what}: ${n} waiting, ${GENERIC}`,
        value: median(g),
        unit: "µs",
        note: `diagnosis, not judged: ${fmt(median(g) / median(e))}x 0 waiting; p99 ${fmt(percentile(g, 99))} µs`,
      },
    );
  };
  row("claimRuns taking 1 fresh run (limit 10)", "claim", true);
  row("claimRuns finding nothing (idle poll)", "idle", true);
  row("nextWakeAt (idle poll's timer check)", "wake", true);
  for (const p of plans) {
    const generic =
      p.generic === undefined
        ? `generic plan n/a (${p.genericError ?? "?"})`
        : p.generic.join(", ") === p.custom.join(", ")
          ? "generic plan: the same"
          : `generic plan: ${p.generic.join(", ") || "no table scans"}`;
    figures.push({
      section: `5. plans (${n} waiting)`,
      metric: p.label,
      value: p.buffers.waiting,
      unit: "buffers",
      note:
        `${p.seqScanOnRuns ? "Seq Scan on runs!" : "no Seq Scan on runs"}: ${p.custom.join(", ") || "no table scans"}; ` +
        `${generic}; ${fmt(p.buffers.empty)} buffers with 0 waiting; planning ${fmt(p.planningMs.waiting)} ms ` +
        `(0 waiting: ${fmt(p.planningMs.empty)}); plan cache ${cacheText(p.cache.waiting)} (0 waiting: ${cacheText(p.cache.empty)})`,
      ok: !p.seqScanOnRuns,
    });
  }
  for (const c of contention) {
    figures.push({
      section: "6. two claimers at once",
      metric: `${c.runs} runnable, 2 concurrent claimRuns of limit ${c.limit}: one came back empty`,
      value: (100 * c.starved) / c.rounds,
      unit: "% of rounds",
      note:
        `of ${c.rounds} rounds; the two took ${fmt(c.taken / c.rounds)} of the ${c.runs} runs on average ` +
        `(ideal: ${c.runs}, and never empty-handed while runs are left)`,
    });
  }
  return figures;
}
