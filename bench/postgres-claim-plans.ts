// The query plans of a claim and an idle poll (see postgres-claim.ts): every query captured as
// sent, then run again under EXPLAIN (ANALYZE, BUFFERS) as the custom and the generic plan.
import pg from "pg";
import { encodePayload } from "../src/shared/payload.js";
import type { Side } from "./postgres-claim-side.js";
import { WS, WORKFLOWS, request } from "./postgres-claim-side.js";
import { chain } from "./postgres-workflows.js";

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

export interface PlanCache {
  generic: number;
  custom: number;
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
  if (/ORDER BY wake_at LIMIT 1/.test(sql)) return "idle poll: nextWakeAt";
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

/** The plans of every query a claim and an idle poll send, on both databases. */
export async function plansOf(empty: Side, waiting: Side): Promise<QueryPlan[]> {
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
