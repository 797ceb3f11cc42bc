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
import pg from "pg";
import { Engine } from "../src/engine/engine.js";
import { Worker } from "../src/engine/worker.js";
import { silentLogger } from "../src/shared/logger.js";
import { encodePayload } from "../src/shared/payload.js";
import type { ClaimRequest } from "../src/store/journal.js";
import { PostgresJournal } from "../src/store/postgres/postgres-journal.js";
import { chain, waiter } from "./postgres-workflows.js";
import type { Figure } from "./support.js";
import { fmt, median, mib, now } from "./support.js";

const WARMUP = 20;
const GENERIC = "force_generic_plan";
/** A claim latency may grow by this factor from 0 to 100,000 waiting runs: index lookups, no scans. */
const TARGET_RATIO = 1.5;
const WS = "default";
const WORKFLOWS = [chain.id, waiter.id];

/** The tables that hold a run's rows, and the column naming the run. */
const RUN_TABLES = [
  ["runs", "id"],
  ["steps", "run_id"],
  ["waits", "run_id"],
  ["entries", "run_id"],
  ["entry_seqs", "run_id"],
] as const;

export interface ClaimOptions {
  /** `postgres://…/<database>` for a database name. */
  urlFor: (database: string) => string;
  /** A client on the server's maintenance database, to create databases. */
  admin: pg.Client;
  waiting: number;
  claims: number;
}

export interface QueryPlan {
  label: string;
  sql: string;
  /** Scans of the custom plan, e.g. "Index Scan using runs_runnable on runs". */
  custom: string[];
  /** Scans of the generic plan; undefined when it could not be made. */
  generic: string[] | undefined;
  genericError?: string;
  seqScanOnRuns: boolean;
  /** Shared buffers the query touched (hit + read), custom plan, per database. */
  buffers: { empty: number; waiting: number };
  /** Planning time of the custom plan, ms, per database. */
  planningMs: { empty: number; waiting: number };
  /**
   * How often the journal's own (pooled) connection planned the statement generically (once,
   * then reused) and as a custom plan (every execution), per database; undefined if not found.
   */
  cache: { empty?: PlanCache; waiting?: PlanCache };
  /** The custom plan as text, on the database with the waiting runs. */
  text: string;
}

export interface ClaimResult {
  figures: Figure[];
  plans: QueryPlan[];
}

export interface PlanCache {
  generic: number;
  custom: number;
}

interface Side {
  name: "empty" | "waiting" | "generic";
  url: string;
  journal: PostgresJournal;
  engine: Engine;
  client: pg.Client;
}

async function openSide(
  options: ClaimOptions,
  name: Side["name"],
  database: string,
  pool: { create: boolean; options?: string },
): Promise<Side> {
  if (pool.create) await options.admin.query(`CREATE DATABASE ${database}`);
  const url = options.urlFor(database);
  const journal = await PostgresJournal.open({
    url,
    max: 4,
    ...(pool.options !== undefined ? { options: pool.options } : {}),
  });
  const engine = new Engine({ journal, workflows: [chain, waiter], logger: silentLogger });
  const client = new pg.Client({ connectionString: url, application_name: "cairn-bench-explain" });
  await client.connect();
  await client.query("SET jit = off"); // as Cairn's pool does
  return { name, url, journal, engine, client };
}

/** Fills `side` with `count` waiting runs: two real ones, cloned. Returns seconds taken. */
async function fillWaiting(side: Side, count: number): Promise<number> {
  const t0 = now();
  const templates = [
    (await side.engine.start(waiter, { sleep: false })).runId,
    (await side.engine.start(waiter, { sleep: true })).runId,
  ];
  const drained = await new Worker(side.engine).drain();
  if (drained.outcomes.waiting !== 2)
    throw new Error(`the template runs did not park: ${JSON.stringify(drained.outcomes)}`);
  const copies = [Math.ceil(count / 2) - 1, Math.floor(count / 2) - 1];
  const db = side.client;
  await db.query("BEGIN");
  for (const [table, key] of RUN_TABLES) {
    const { rows } = await db.query<{ column_name: string }>(
      `SELECT column_name FROM information_schema.columns
       WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`,
      [table],
    );
    const columns = rows.map((r) => r.column_name);
    // Each clone's own id; timers spread one minute apart (so the planner sees a real spread of
    // wake-up times, not one value 50,000 times); everything else as the template has it.
    const select = columns.map((c) =>
      c === key
        ? `t.${c} || '_' || g AS ${c}`
        : c === "wake_at" || c === "due_at"
          ? `t.${c} + g::bigint * 60000 AS ${c}`
          : `t.${c}`,
    );
    for (let i = 0; i < templates.length; i++) {
      if (copies[i]! <= 0) continue;
      await db.query(
        `INSERT INTO ${table} (${columns.join(", ")})
         SELECT ${select.join(", ")} FROM ${table} t CROSS JOIN generate_series(1, $3::int) g
         WHERE t.workspace = $1 AND t.${key} = $2`,
        [WS, templates[i], copies[i]],
      );
    }
  }
  await db.query("COMMIT");
  await db.query("VACUUM ANALYZE");
  return (now() - t0) / 1000;
}

function cacheText(c: PlanCache | undefined): string {
  return c === undefined ? "n/a" : `${c.generic} generic/${c.custom} custom`;
}

function percentile(values: readonly number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}

/** Every query `fn` sends through pg, as sent (text and values). */
async function capture(fn: () => Promise<void>): Promise<{ text: string; values: unknown[] }[]> {
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  const seen: { text: string; values: unknown[] }[] = [];
  proto.query = function (this: unknown, ...args: unknown[]) {
    const [config, values] = args;
    if (typeof config === "string") seen.push({ text: config, values: Array.isArray(values) ? values : [] });
    else if (typeof config === "object" && config !== null && "text" in config) {
      const c = config as { text: string; values?: unknown[] };
      seen.push({ text: c.text, values: c.values ?? (Array.isArray(values) ? values : []) });
    }
    return original.apply(this, args);
  };
  try {
    await fn();
  } finally {
    proto.query = original;
  }
  return seen;
}

function label(sql: string): string {
  if (/status IN \('queued', 'waiting'\) AND wake_at <=/.test(sql)) return "claim: due runs (SKIP LOCKED)";
  if (/lease_expires_at <= \$2/.test(sql)) return "claim: runs whose lease expired";
  if (/lease_owner = ANY/.test(sql)) return "claim: runs of dead owners";
  if (/^\s*UPDATE runs SET status = 'running'/.test(sql)) return "claim: take them (UPDATE runs)";
  if (/INSERT INTO entries/.test(sql)) return "claim: log run.started";
  if (/MIN\(wake_at\)/.test(sql)) return "idle poll: nextWakeAt";
  if (/DISTINCT lease_owner/.test(sql)) return "idle poll: listLeaseOwners";
  return sql.replace(/\s+/g, " ").slice(0, 50);
}

interface PlanNode {
  "Node Type": string;
  "Relation Name"?: string;
  "Index Name"?: string;
  "Shared Hit Blocks"?: number;
  "Shared Read Blocks"?: number;
  Plans?: PlanNode[];
}

function scans(node: PlanNode, out: string[] = []): string[] {
  if (node["Relation Name"] !== undefined) {
    const index = node["Index Name"] === undefined ? "" : ` using ${node["Index Name"]}`;
    out.push(`${node["Node Type"]}${index} on ${node["Relation Name"]}`);
  }
  for (const child of node.Plans ?? []) scans(child, out);
  return out;
}

function literal(client: pg.Client, v: unknown): string {
  if (v === null || v === undefined) return "NULL";
  if (typeof v === "number") return String(v);
  if (Array.isArray(v))
    return client.escapeLiteral(`{${v.map((e) => `"${String(e).replace(/["\\]/g, "\\$&")}"`).join(",")}}`);
  return client.escapeLiteral(typeof v === "string" ? v : JSON.stringify(v));
}

/** EXPLAIN (ANALYZE, BUFFERS) of one query in a rolled-back transaction: custom or generic plan. */
async function explain(
  client: pg.Client,
  sql: string,
  values: unknown[],
  mode: "custom" | "generic",
  format: "JSON" | "TEXT",
): Promise<unknown[]> {
  const options = `ANALYZE, BUFFERS, FORMAT ${format}${format === "TEXT" ? ", COSTS OFF, TIMING OFF" : ""}`;
  await client.query("BEGIN");
  try {
    if (mode === "custom") return (await client.query<object>(`EXPLAIN (${options}) ${sql}`, values)).rows;
    await client.query("SET LOCAL plan_cache_mode = force_generic_plan");
    await client.query(`PREPARE bench_generic AS ${sql}`);
    const args = values.map((v) => literal(client, v)).join(", ");
    return (await client.query<object>(`EXPLAIN (${options}) EXECUTE bench_generic(${args})`)).rows;
  } finally {
    await client.query("ROLLBACK");
    await client.query("DEALLOCATE ALL");
  }
}

interface Explained {
  Plan: PlanNode;
  "Planning Time"?: number;
}

function explained(rows: unknown[]): Explained {
  return (rows[0] as { "QUERY PLAN": Explained[] })["QUERY PLAN"][0]!;
}

function topPlan(rows: unknown[]): PlanNode {
  return explained(rows).Plan;
}

/** generic_plans / custom_plans of the statements prepared on one of the journal's connections. */
async function planCache(side: Side): Promise<Map<string, PlanCache>> {
  const { rows } = await side.journal.database.query<{ statement: string; generic: number; custom: number }>(
    "SELECT statement, generic_plans AS generic, custom_plans AS custom FROM pg_prepared_statements",
  );
  return new Map(rows.map((r) => [r.statement, { generic: r.generic, custom: r.custom }]));
}

/** The queries one claim (with a dead owner to look for) and one idle poll send, on `side`. */
async function claimQueries(side: Side): Promise<Map<string, { text: string; values: unknown[] }>> {
  const fresh = (await side.engine.start(chain, { steps: 1 })).runId;
  let lease;
  const sent = await capture(async () => {
    [lease] = await side.journal.claimRuns({ ...request(), deadOwners: ["bench-dead-owner"] });
    await side.journal.nextWakeAt(WS, WORKFLOWS);
    await side.journal.listLeaseOwners(WS, "bench");
  });
  if (lease === undefined || (lease as { runId: string }).runId !== fresh)
    throw new Error("the captured claim did not take the fresh run");
  await side.journal.completeRun(lease, encodePayload(null, "output"));
  const byLabel = new Map<string, { text: string; values: unknown[] }>();
  for (const q of sent) {
    if (/^\s*(BEGIN|COMMIT|ROLLBACK|SET)\b/i.test(q.text)) continue;
    const l = label(q.text);
    if (!byLabel.has(l)) byLabel.set(l, q);
  }
  return byLabel;
}

interface Contention {
  limit: number;
  runs: number;
  rounds: number;
  /** Rounds where one claimer took nothing. */
  starved: number;
  /** Runs the two took, summed over the rounds. */
  taken: number;
}

/**
 * Two journals (two worker processes' pools) claim at the same moment with `runs` = 2 × limit
 * runs runnable: each should get its share. Counts the rounds where one came back empty.
 */
async function measureContention(side: Side): Promise<Contention[]> {
  const other = await PostgresJournal.open({ url: side.url, max: 4 });
  try {
    const results: Contention[] = [];
    for (const limit of [1, 10]) {
      const c: Contention = { limit, runs: 2 * limit, rounds: 100, starved: 0, taken: 0 };
      for (let r = 0; r < c.rounds; r++) {
        for (let i = 0; i < c.runs; i++) await side.engine.start(chain, { steps: 1 });
        const [a, b] = await Promise.all([
          side.journal.claimRuns({ ...request(), limit, owner: "bench-claimer-a" }),
          other.claimRuns({ ...request(), limit, owner: "bench-claimer-b" }),
        ]);
        if (a.length === 0 || b.length === 0) c.starved++;
        c.taken += a.length + b.length;
        const rest = await side.journal.claimRuns({ ...request(), limit: 100 });
        for (const lease of a) await side.journal.completeRun(lease, encodePayload(null, "output"));
        for (const lease of b) await other.completeRun(lease, encodePayload(null, "output"));
        for (const lease of rest) await side.journal.completeRun(lease, encodePayload(null, "output"));
      }
      results.push(c);
    }
    return results;
  } finally {
    await other.close();
  }
}

function request(): ClaimRequest {
  return { workspace: WS, owner: "bench-claimer", ttlMs: 60_000, limit: 10, workflows: WORKFLOWS };
}

async function plansOf(empty: Side, waiting: Side): Promise<QueryPlan[]> {
  // Read first: the captures below add executions of their own.
  const caches = { empty: await planCache(empty), waiting: await planCache(waiting) };
  const queries = { empty: await claimQueries(empty), waiting: await claimQueries(waiting) };
  // A runnable run in each, so the due-runs query finds one as a real claim does: due an hour
  // ago, so it is due at the moment the captured queries carry too.
  const runAt = Date.now() - 3_600_000;
  const pending = [
    await empty.engine.start(chain, { steps: 1 }, { runAt }),
    await waiting.engine.start(chain, { steps: 1 }, { runAt }),
  ];
  const plans: QueryPlan[] = [];
  for (const [l, q] of queries.waiting) {
    const customExplained = explained(await explain(waiting.client, q.text, q.values, "custom", "JSON"));
    const custom = customExplained.Plan;
    const other = queries.empty.get(l);
    const emptyExplained = other
      ? explained(await explain(empty.client, other.text, other.values, "custom", "JSON"))
      : undefined;
    const emptyPlan = emptyExplained?.Plan;
    let generic: string[] | undefined;
    let genericError: string | undefined;
    try {
      generic = scans(topPlan(await explain(waiting.client, q.text, q.values, "generic", "JSON")));
    } catch (err) {
      genericError = (err as Error).message;
    }
    const text = (await explain(waiting.client, q.text, q.values, "custom", "TEXT"))
      .map((r) => (r as { "QUERY PLAN": string })["QUERY PLAN"])
      .join("\n");
    const customScans = scans(custom);
    const buffers = (p: PlanNode | undefined) =>
      p === undefined ? NaN : (p["Shared Hit Blocks"] ?? 0) + (p["Shared Read Blocks"] ?? 0);
    plans.push({
      label: l,
      sql: q.text.replace(/\s+/g, " ").trim(),
      custom: customScans,
      generic,
      ...(genericError !== undefined ? { genericError } : {}),
      seqScanOnRuns: [...customScans, ...(generic ?? [])].some((s) => s.startsWith("Seq Scan on runs")),
      buffers: { empty: buffers(emptyPlan), waiting: buffers(custom) },
      planningMs: {
        empty: emptyExplained?.["Planning Time"] ?? NaN,
        waiting: customExplained["Planning Time"] ?? NaN,
      },
      cache: {
        ...(other && caches.empty.has(other.text) ? { empty: caches.empty.get(other.text)! } : {}),
        ...(caches.waiting.has(q.text) ? { waiting: caches.waiting.get(q.text)! } : {}),
      },
      text,
    });
  }
  // Take and end the runs left runnable above.
  for (const [side, started] of [
    [empty, pending[0]!],
    [waiting, pending[1]!],
  ] as const) {
    const leases = await side.journal.claimRuns(request());
    for (const lease of leases) await side.journal.completeRun(lease, encodePayload(null, "output"));
    if (!leases.some((l) => l.runId === started.runId)) throw new Error("a pending run was not claimed");
  }
  return plans;
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

    type Times = { claim: number[]; idle: number[]; wake: number[] };
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

    const n = fmt(options.waiting);
    const section = `4. claims, ${n} waiting`;
    const figures: Figure[] = [
      {
        section,
        metric: `setup: waiting runs in the tables`,
        value: parked,
        unit: "runs",
        note: `2 real parked runs cloned by SQL in ${fmt(fillS)} s (half on an event, half on a 30-day timer); VACUUM ANALYZE; database ${fmt(mib(Number(rows[0]!.bytes)))} MiB`,
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
    return { figures, plans };
  } finally {
    for (const side of sides) {
      await side.client.end().catch(() => undefined);
      await side.journal.close().catch(() => undefined);
    }
  }
}
