// Time from a decision to the resumed run's end, in-process: runs of approvalFlow are executed up
// to their approval, a Worker is started (worker.start(), a given poll interval), and the
// approvals are decided one at a time with engine.decide(). For each, the time from decide()
// returning to the run's `run.ended` progress event (status completed), split at its
// `run.started` (the worker found and claimed it) into discovery and execution. Each decision
// comes after a random pause of 0–poll ms, so decisions land at a random point of the worker's
// poll, as a person's would. Several stores are measured side by side (decisions alternate), so
// they see the same machine load. Also times the store work of one idle poll and one page of
// `approvals ls`, which must not grow with the approvals pending in the store.
import type { Engine } from "../src/engine/engine.js";
import { Worker } from "../src/engine/worker.js";
import type { Synchronous } from "./support.js";
import { median, now, openEngine } from "./support.js";
import { approvalFlow, countWaiting } from "./approvals-workflow.js";

export interface LatencyOptions {
  synchronous: Synchronous;
  /** Approvals decided (and runs started for them). */
  decisions: number;
  pollIntervalMs: number;
  /** Seed of the random pauses between decisions. */
  seed: number;
}

export interface Distribution {
  median: number;
  p99: number;
  max: number;
}

export interface LatencyStore {
  label: string;
  path: string;
}

export interface LatencyResult {
  label: string;
  pollIntervalMs: number;
  decisions: number;
  /** Pending approvals in the store besides the ones decided here. */
  otherPending: number;
  /** decide() returning → run.ended (ms). */
  latency: Distribution;
  /** decide() returning → run.started: the worker polled, found and claimed the run (ms). */
  discovery: Distribution;
  /** run.started → run.ended: settle the approval, the remaining step, complete (ms). */
  execution: Distribution;
  /** The decide() call itself: one transaction, one commit (ms). */
  decideCall: Distribution;
  /** One idle poll's store work: engine.claim(10) + journal.nextWakeAt (µs). */
  idlePollUs: Distribution;
  /** One page of pending approvals, as `approvals ls` lists them: listApprovals(limit ≤ 100) (µs). */
  listPageUs: Distribution;
  listPageSize: number;
  /** Each journal call a decision and its resumed run make, call to promise settled (µs). */
  journalCallsUs: Record<JournalCall, Distribution>;
}

/**
 * The journal calls a decision and its resumed run make, timed by wrapping the journal's methods
 * on the instance (bench only): which part of the store work, if any, grows with pending rows.
 * claimRuns is counted only when it claimed a run.
 */
export const JOURNAL_CALLS = [
  "decideApproval",
  "claimRuns",
  "settleWait",
  "commitStep",
  "completeRun",
] as const;
export type JournalCall = (typeof JOURNAL_CALLS)[number];

export function percentile(values: readonly number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

function distribution(values: readonly number[]): Distribution {
  return { median: median(values), p99: percentile(values, 99), max: Math.max(...values) };
}

/** mulberry32: a small seeded PRNG, so two runs of the bench pause alike. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `approvals ls` lists this many per page (its default limit). */
const LIST_PAGE = 100;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface Subject {
  store: LatencyStore;
  engine: Engine;
  otherPending: number;
  runIds: string[];
  approvalIds: string[];
  worker?: Worker;
  /** run id → when its run.started came (ms, now()). */
  started: Map<string, number>;
  waiters: Map<string, (at: number, status: string) => void>;
  off?: () => void;
  samples: { latency: number[]; discovery: number[]; execution: number[]; decideCall: number[] };
  idlePollUs: number[];
  listPageUs: number[];
  /** Set while decisions are measured: journal calls are timed only then. */
  recording: boolean;
  calls: Record<JournalCall, number[]>;
}

/** Times the journal's calls in `JOURNAL_CALLS` on this instance while `s.recording`. */
function timeJournalCalls(s: Subject): void {
  const journal = s.engine.journal as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  for (const name of JOURNAL_CALLS) {
    const call = journal[name]!.bind(journal);
    journal[name] = (...args: unknown[]) => {
      const t0 = now();
      const p = call(...args);
      if (s.recording) {
        void p.then(
          (value) => {
            if (name !== "claimRuns" || (value as unknown[]).length > 0)
              s.calls[name].push((now() - t0) * 1000);
          },
          () => undefined,
        );
      }
      return p;
    };
  }
}

/** Starts `decisions` runs on the store and executes them up to their approval. */
async function prepare(store: LatencyStore, options: LatencyOptions): Promise<Subject> {
  const engine = openEngine(store.path, options.synchronous, [approvalFlow]);
  const { journal, workspace } = engine;
  const otherPending = countWaiting(journal).pendingApprovals;
  const runIds: string[] = [];
  for (let i = 0; i < options.decisions; i++) {
    runIds.push((await engine.start(approvalFlow, { n: 1_000_000 + i })).runId);
  }
  const setup = await new Worker(engine).drain();
  if (setup.outcomes.waiting !== options.decisions)
    throw new Error(`expected ${options.decisions} waiting runs, got ${JSON.stringify(setup.outcomes)}`);
  const approvalIds: string[] = [];
  for (const runId of runIds) {
    const [approval, ...more] = await journal.listApprovals(workspace, { runId, status: "pending" });
    if (approval === undefined || more.length > 0)
      throw new Error(`run ${runId}: expected one pending approval`);
    approvalIds.push(approval.id);
  }
  const pending = countWaiting(journal).pendingApprovals;
  if (pending !== otherPending + options.decisions)
    throw new Error(`expected ${otherPending + options.decisions} pending approvals, found ${pending}`);
  return {
    store,
    engine,
    otherPending,
    runIds,
    approvalIds,
    started: new Map(),
    waiters: new Map(),
    samples: { latency: [], discovery: [], execution: [], decideCall: [] },
    idlePollUs: [],
    listPageUs: [],
    recording: false,
    calls: Object.fromEntries(JOURNAL_CALLS.map((c) => [c, []])) as unknown as Record<JournalCall, number[]>,
  };
}

/** Times `fn` once; µs. */
async function timeCall(fn: () => Promise<unknown>): Promise<number> {
  const t0 = now();
  await fn();
  return (now() - t0) * 1000;
}

/** What the worker's loop asks the store on every idle poll, and what `approvals ls` asks. */
async function timeStoreCalls(subjects: Subject[], pageSize: number): Promise<void> {
  for (let i = 0; i < 310; i++) {
    for (const s of i % 2 === 0 ? subjects : [...subjects].reverse()) {
      const { engine } = s;
      const workflows = engine.workflows.map((w) => w.id);
      const us = await timeCall(async () => {
        const leases = await engine.claim(10);
        if (leases.length > 0) throw new Error("an idle poll claimed a run");
        await engine.journal.nextWakeAt(engine.workspace, workflows);
      });
      if (i >= 10) s.idlePollUs.push(us);
      if (i % 3 !== 0) continue;
      const page = await timeCall(() =>
        engine.journal.listApprovals(engine.workspace, { status: "pending", limit: pageSize }),
      );
      if (i >= 10) s.listPageUs.push(page);
    }
  }
}

/** Decides approval `i` of `s` and waits for its run to complete; records the times. */
async function decideOne(s: Subject, i: number): Promise<void> {
  const runId = s.runIds[i]!;
  const ended = new Promise<{ at: number; status: string }>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`run ${runId} did not end within 30 s of its decision`)),
      30_000,
    );
    s.waiters.set(runId, (at, status) => {
      clearTimeout(timer);
      resolve({ at, status });
    });
  });
  s.started.delete(runId);
  const t0 = now();
  await s.engine.decide(s.approvalIds[i]!, { approve: true, by: "bench" });
  const decided = now();
  const end = await ended;
  s.waiters.delete(runId);
  if (end.status !== "completed") throw new Error(`run ${runId} ended ${end.status}, not completed`);
  const claimedAt = s.started.get(runId);
  if (claimedAt === undefined) throw new Error(`run ${runId} ended without a run.started`);
  s.samples.decideCall.push(decided - t0);
  s.samples.latency.push(end.at - decided);
  s.samples.discovery.push(claimedAt - decided);
  s.samples.execution.push(end.at - claimedAt);
}

/**
 * Measures decisions on each store (which may already hold other pending approvals). With more
 * than one store, each runs its own Engine and Worker and the decisions alternate between them,
 * so every store is measured under the same machine load and the figures can be compared.
 */
export async function measureDecisionLatency(
  stores: readonly LatencyStore[],
  options: LatencyOptions,
): Promise<LatencyResult[]> {
  const subjects: Subject[] = [];
  try {
    for (const store of stores) subjects.push(await prepare(store, options));
    // Every store holds at least `decisions` pending approvals: the same page size for each.
    await timeStoreCalls(subjects, Math.min(LIST_PAGE, options.decisions));
    for (const s of subjects) {
      s.off = s.engine.on((p) => {
        if (p.type === "run.started") s.started.set(p.runId, now());
        else if (p.type === "run.ended") s.waiters.get(p.runId)?.(now(), p.status);
      });
      timeJournalCalls(s);
      s.recording = true;
      s.worker = new Worker(s.engine, { pollIntervalMs: options.pollIntervalMs });
      s.worker.start();
    }
    await sleep(options.pollIntervalMs * 2); // the workers are in their idle loops
    const rand = random(options.seed);
    for (let i = 0; i < options.decisions; i++) {
      for (const s of i % 2 === 0 ? subjects : [...subjects].reverse()) {
        await sleep(rand() * options.pollIntervalMs);
        await decideOne(s, i);
      }
    }
    return subjects.map((s) => {
      const left = countWaiting(s.engine.journal).pendingApprovals;
      if (left !== s.otherPending)
        throw new Error(
          `${s.store.label}: expected ${s.otherPending} pending approvals after, found ${left}`,
        );
      return {
        label: s.store.label,
        pollIntervalMs: options.pollIntervalMs,
        decisions: options.decisions,
        otherPending: s.otherPending,
        latency: distribution(s.samples.latency),
        discovery: distribution(s.samples.discovery),
        execution: distribution(s.samples.execution),
        decideCall: distribution(s.samples.decideCall),
        idlePollUs: distribution(s.idlePollUs),
        listPageUs: distribution(s.listPageUs),
        listPageSize: Math.min(LIST_PAGE, options.decisions),
        journalCallsUs: Object.fromEntries(
          JOURNAL_CALLS.map((c) => [c, distribution(s.calls[c])]),
        ) as unknown as Record<JournalCall, Distribution>,
      };
    });
  } finally {
    for (const s of subjects) {
      await s.worker?.stop();
      s.off?.();
      await s.engine.journal.close();
    }
  }
}
