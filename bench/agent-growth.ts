// Journal growth as a conversation gets longer: one agent run of TURNS tool turns (checkpoint
// "calls") on a fresh SQLite file, with the store measured after turns 10, 50, 100 and 200 (read
// in the engine's listener right after the turn's tool step commits). The run's answering model
// call then gets a 429 (Retry-After 0), so it ends waiting to retry: section 3 resumes it. Reports bytes per turn in
// each stretch: step outputs (the steps table's output_bytes), log entries, blobs, and the
// database's size (page_count × page_size, which counts pages still in the WAL). Flat bytes per
// turn mean the journal grows O(turns): a model step records only the model's new message.
import type { Agent } from "../src/agent/agent.js";
import type { SqliteDatabase } from "../src/store/sqlite/database.js";
import type { InstantModel } from "./agent-fixture.js";
import { benchAgent, instantModel, MESSAGE, openAgentEngine, TURNS } from "./agent-fixture.js";
import type { BenchOptions, Figure } from "./support.js";
import { fmt, now, tempStore } from "./support.js";

const AT_TURNS = [10, 50, 100, TURNS];
/** Flat enough: bytes per turn at the last stretch within this factor of the first. */
const TARGET_RATIO = 1.25;

interface Snapshot {
  turn: number;
  stepBytes: number;
  modelStepBytes: number;
  entryBytes: number;
  blobBytes: number;
  dbBytes: number;
}

function snapshot(db: SqliteDatabase, runId: string, turn: number): Snapshot {
  const steps = db
    .prepare(
      `SELECT COALESCE(SUM(output_bytes), 0) AS bytes,
              COALESCE(SUM(CASE WHEN step_id = 'model' OR step_id LIKE 'model#%' THEN output_bytes END), 0) AS model
       FROM steps WHERE run_id = ?`,
    )
    .get(runId) as { bytes: number; model: number };
  const entries = db
    .prepare("SELECT COALESCE(SUM(length(data_json)), 0) AS bytes FROM entries WHERE run_id = ?")
    .get(runId) as { bytes: number };
  const blobs = db.prepare("SELECT COALESCE(SUM(size), 0) AS bytes FROM blobs").get() as { bytes: number };
  const pages = db.pragma("page_count", { simple: true }) as number;
  const pageSize = db.pragma("page_size", { simple: true }) as number;
  return {
    turn,
    stepBytes: steps.bytes,
    modelStepBytes: steps.model,
    entryBytes: entries.bytes,
    blobBytes: blobs.bytes,
    dbBytes: pages * pageSize,
  };
}

/** The store section 2 leaves behind: a TURNS-turn run waiting to retry its answering call. */
export interface LongRun {
  path: string;
  runId: string;
  agent: Agent;
  model: InstantModel;
  /** Time to execute the TURNS turns (with the snapshots), ms. */
  buildMs: number;
  cleanup(): void;
}

export async function measureGrowth(options: BenchOptions): Promise<{ figures: Figure[]; run: LongRun }> {
  const store = tempStore("agent-growth");
  const instant = instantModel();
  const a = benchAgent("bench.agent.long", instant.model, "calls");
  const { engine, db } = openAgentEngine(store.path, options.synchronous, [a.workflow]);
  let done = false;
  try {
    const { runId } = await engine.start(a.workflow, { message: MESSAGE });
    const snaps: Snapshot[] = [];
    let turns = 0;
    engine.on((p) => {
      if (p.type === "run.started") snaps.push(snapshot(db, runId, 0));
      else if (p.type === "step.ended" && p.stepId.startsWith("tool.") && AT_TURNS.includes(++turns)) {
        snaps.push(snapshot(db, runId, turns));
      }
    });
    instant.failNextAnswer();
    const b0 = now();
    const [lease] = await engine.claim(1);
    if (lease === undefined) throw new Error("growth: the run was not claimable");
    const outcome = await engine.execute(lease);
    const buildMs = now() - b0;
    if (outcome !== "waiting") throw new Error(`growth: expected the run to wait, got ${outcome}`);
    if (snaps.length !== AT_TURNS.length + 1) throw new Error(`growth: ${snaps.length - 1} snapshots`);
    const last = db
      .prepare(
        "SELECT output_bytes AS bytes, output_json AS json FROM steps WHERE run_id = ? AND step_id = ?",
      )
      .get(runId, `model#${TURNS}`) as { bytes: number; json: string };
    const recorded = JSON.parse(last.json) as { messages?: { role: string }[] };
    const keys = Object.keys(recorded).join(", ");
    const roles = (recorded.messages ?? []).map((m) => m.role).join(", ");

    const section = "2. journal growth";
    const figures: Figure[] = [];
    /** Bytes per turn of the stretch ending at each snapshot. */
    const perTurn: number[] = [];
    for (let i = 1; i < snaps.length; i++) {
      const s = snaps[i]!;
      const p = snaps[i - 1]!;
      const base = snaps[0]!;
      const n = s.turn - p.turn;
      const step = (s.stepBytes - p.stepBytes) / n;
      perTurn.push(step);
      figures.push({
        section,
        metric: `turns ${p.turn + 1}–${s.turn}: step output bytes per turn`,
        value: step,
        unit: "B/turn",
        note:
          `model ${fmt((s.modelStepBytes - p.modelStepBytes) / n)} + tool ${fmt((s.stepBytes - s.modelStepBytes - (p.stepBytes - p.modelStepBytes)) / n)} B; ` +
          `log entries ${fmt((s.entryBytes - p.entryBytes) / n)} B/turn; db file ${fmt((s.dbBytes - p.dbBytes) / n)} B/turn; ` +
          `at turn ${s.turn}: ${fmt(s.stepBytes)} B of steps, db +${fmt(s.dbBytes - base.dbBytes)} B` +
          (s.blobBytes > 0 ? `, blobs ${fmt(s.blobBytes)} B` : ""),
      });
    }
    const first = snaps[1]!;
    const lastSnap = snaps[snaps.length - 1]!;
    const base = snaps[0]!;
    const ratio = perTurn[perTurn.length - 1]! / perTurn[0]!;
    const dbRatio =
      (lastSnap.dbBytes - base.dbBytes) / lastSnap.turn / ((first.dbBytes - base.dbBytes) / first.turn);
    figures.push({
      section,
      metric: `bytes per turn at turn ${TURNS} ÷ at turn ${AT_TURNS[0]}`,
      value: ratio,
      unit: "x",
      note:
        `${ratio <= TARGET_RATIO ? "flat" : "NOT flat"} (target ≤ ${TARGET_RATIO}x): step output per turn in the last stretch ÷ the first; ` +
        `db file per turn over ${TURNS} turns ÷ over ${first.turn}: ${fmt(dbRatio)}x (page-granular). ` +
        `A model step (model#${TURNS}: ${fmt(last.bytes)} B) keeps ${keys}; its messages: [${roles}] (the model's new message, not the conversation)`,
      ok: ratio <= TARGET_RATIO,
    });
    done = true;
    return {
      figures,
      run: { path: store.path, runId, agent: a, model: instant, buildMs, cleanup: store.cleanup },
    };
  } finally {
    await engine.journal.close();
    if (!done) store.cleanup();
  }
}
