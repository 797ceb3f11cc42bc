// Runtime overhead per agent turn with an instant model. A turn is one model call that asks for
// the no-op tool and the tool call; a run is TURNS of them and an answer, started and drained by
// a worker on a SQLite file. The bare AI SDK does the same calls as a twin stepped in lockstep:
// inside each of the agent's tool calls the twin makes its own model call (same model, tool and
// conversation length), and its time is taken out of the agent's, so both sides share the
// machine's load turn by turn. The journal's transactions are timed in the same runs, splitting
// the overhead into store time and the rest. A twin alone then times one raw commit after each of
// its calls: what a commit costs amid a turn, which on a small VM is several times a back-to-back
// commit, so the floor is shown both ways. The AI SDK's own cost grows with the conversation
// (it validates the whole message list on every call) and is ~30 ms a call at 200 turns on a
// small VM, so a 1 ms difference is near the noise: a last run, without the twin, is sampled
// by the V8 profiler to show how much CPU a turn spends in Cairn's own code.
import type { Agent } from "../src/agent/agent.js";
import { Worker } from "../src/engine/worker.js";
import {
  ANSWER,
  BareAgent,
  benchAgent,
  instantModel,
  MESSAGE,
  meterWrites,
  openAgentEngine,
  TURNS,
} from "./agent-fixture.js";
import { profileByOwner } from "./agent-profile.js";
import type { Floor } from "./floor.js";
import type { BenchOptions, Figure } from "./support.js";
import { fmt, median, now, tempStore } from "./support.js";

const RUNS = 5;
const WARMUP_TURNS = 20;
const FLOOR_INSERTS = 200;
/** The goal: Cairn adds at most this much to a turn, over the bare AI SDK, on SQLite. */
const TARGET_MS_PER_TURN = 1.5;

type Checkpoint = "calls" | "turn";

/** Steps each turn commits, by checkpoint mode: the floor is this many raw commits per turn. */
const STEPS_PER_TURN: Record<Checkpoint, number> = { calls: 2, turn: 1 };
const WHAT_A_TURN_WRITES: Record<Checkpoint, string> = {
  calls: "model result + tool result; the next call's intent rides on the tool result",
  turn: "turn result; the next turn's intent rides on it",
};

export async function measureTurns(options: BenchOptions, floor: Floor): Promise<Figure[]> {
  return [
    ...(await measureMode("calls", "1a. per turn, checkpoint calls", options, floor)),
    ...(await measureMode("turn", "1b. per turn, checkpoint turn", options, floor)),
  ];
}

/** One run, per turn (ms). */
interface Round {
  /** Cairn's wall time, the twin's calls taken out. */
  cairn: number;
  /** The twin's (bare AI SDK) time. */
  bare: number;
  /** Time inside the journal's transactions, and how many writes. */
  store: number;
  writes: number;
  /** The floor round taken just before, µs per commit. */
  floorUs: number;
}

/**
 * The floor's commit as a turn meets it: a bare AI SDK twin makes `calls` model calls alone (no
 * Cairn run beside it) and one raw commit is timed right after each. Returns µs per commit.
 */
async function commitsAmidCalls(calls: number, floor: Floor): Promise<number[]> {
  const twin = new BareAgent(instantModel(calls).model);
  const us: number[] = [];
  for (let i = 0; i < calls; i++) {
    await twin.call();
    us.push(floor.once());
  }
  return us;
}

async function measureMode(
  checkpoint: Checkpoint,
  section: string,
  options: BenchOptions,
  floor: Floor,
): Promise<Figure[]> {
  let onTool = async () => {};
  const hook = () => onTool();
  const agentOf = (turns: number) =>
    benchAgent(`bench.agent.${checkpoint}.${turns}`, instantModel(turns).model, checkpoint, {
      turns,
      onTool: hook,
    });
  const main = agentOf(TURNS);
  const warm = agentOf(WARMUP_TURNS);
  const store = tempStore(`agent-${checkpoint}`);
  const { engine } = openAgentEngine(store.path, options.synchronous, [main.workflow, warm.workflow]);
  const meter = meterWrites(engine.journal);
  try {
    /** One run of `a`, started and drained by a worker; checks it answered. Returns ms. */
    const execute = async (a: Agent, turns: number): Promise<number> => {
      const t0 = now();
      const { runId } = await engine.start(a.workflow, { message: MESSAGE });
      const drained = await new Worker(engine).drain();
      const ms = now() - t0;
      if (drained.outcomes.completed !== 1) {
        throw new Error(`${checkpoint}: expected 1 completed run, got ${JSON.stringify(drained.outcomes)}`);
      }
      const run = await engine.journal.getRun(engine.workspace, runId);
      const out = run?.output as { text?: string; turns?: number } | undefined;
      if (out?.text !== ANSWER || out.turns !== turns + 1) {
        throw new Error(`${checkpoint}: unexpected result ${JSON.stringify(out)}`);
      }
      return ms;
    };
    /** A floor round, then one run of `a` with a bare twin in lockstep. */
    const round = async (a: Agent, turns: number): Promise<Round> => {
      const floorUs = floor.round(FLOOR_INSERTS);
      const twin = new BareAgent(instantModel(turns).model);
      let twinMs = 0;

      const twinCall = async () => {
        const t = now();
        const reply = await twin.call();
        twinMs += now() - t;

        return reply;
      };
      onTool = async () => {
        if ((await twinCall()).toolCalls !== 1) throw new Error("the twin did not call the tool");
      };
      const [w0, s0] = [meter.count, meter.ms];
      const wall = await execute(a, turns);
      const [w1, s1, twinInRun] = [meter.count, meter.ms, twinMs];
      onTool = async () => {};
      if ((await twinCall()).text !== ANSWER) throw new Error("the twin did not answer");
      return {
        cairn: (wall - twinInRun) / turns,
        bare: twinMs / turns,
        store: (s1 - s0) / turns,
        writes: (w1 - w0) / turns,
        floorUs,
      };
    };

    await round(warm, WARMUP_TURNS); // JIT, prepared statements, file growth
    const rounds: Round[] = [];
    for (let r = 0; r < RUNS; r++) rounds.push(await round(main, TURNS));
    let sampledMs = 0;
    const [sw0, ss0] = [meter.count, meter.ms];
    const sampled = await profileByOwner(async () => {
      sampledMs = await execute(main, TURNS);
    });
    const sampledTx = (meter.ms - ss0) / (meter.count - sw0);

    const steps = STEPS_PER_TURN[checkpoint];
    const commitMs = median(rounds.map((r) => r.floorUs)) / 1000;
    const floorPerTurn = steps * commitMs;
    const inSitu = await commitsAmidCalls(TURNS, floor);
    const inSituMs = median(inSitu) / 1000;
    const cairn = rounds.map((r) => r.cairn);
    const bare = rounds.map((r) => r.bare);
    const over = rounds.map((r) => r.cairn - r.bare);
    // The split is the median run's (by overhead), so its parts add up to it.
    const mid = [...rounds].sort((x, y) => x.cairn - x.bare - (y.cairn - y.bare))[(RUNS - 1) >> 1]!;
    const runs = `median of ${RUNS} runs of ${TURNS} turns`;
    const per = (ms: number) => ms / TURNS;
    const own = per(sampled["engine + agent"] + sampled["journal + SQLite"]);
    return [
      {
        section,
        metric: `Cairn agent (start + worker drain), ${TURNS} turns`,
        value: median(cairn),
        unit: "ms/turn",
        note: `${runs}, best ${fmt(Math.min(...cairn))}; SQLite file; the twin's calls taken out`,
      },
      {
        section,
        metric: "(a) bare AI SDK: streamText, same calls, no store",
        value: median(bare),
        unit: "ms/turn",
        note: `the twin, ${runs}, best ${fmt(Math.min(...bare))}; grows with the conversation`,
      },
      {
        section,
        metric: `(b) floor: raw insert + commit × ${steps} per turn`,
        value: floorPerTurn,
        unit: "ms/turn",
        note: `${fmt(commitMs * 1000)} µs/commit, median of the rounds taken before the runs`,
      },
      {
        section,
        metric: `(c) floor amid a turn: the same commit × ${steps}, each right after an AI SDK call`,
        value: steps * inSituMs,
        unit: "ms/turn",
        note:
          `${fmt(inSituMs * 1000)} µs/commit (${fmt(inSituMs / commitMs)}x back-to-back), median of ${fmt(inSitu.length)}: ` +
          "a twin alone, one commit timed after each of its calls: a commit costs more after the CPU ran other code, and Cairn's commits pay it too",
      },
      {
        section,
        metric: "Cairn overhead per turn (Cairn − bare AI SDK)",
        value: median(over),
        unit: "ms/turn",
        note:
          `target ≤ ${TARGET_MS_PER_TURN} ms/turn; ${fmt(median(over) / floorPerTurn)}x floor (b), ` +
          `${fmt(median(over) / (steps * inSituMs))}x floor (c); ` +
          `range ${fmt(Math.min(...over))} to ${fmt(Math.max(...over))}`,
        ok: median(over) <= TARGET_MS_PER_TURN,
      },
      {
        section,
        metric: "  of it: journal transactions (commit + fsync)",
        value: mid.store,
        unit: "ms/turn",
        note:
          `${fmt(mid.writes)} writes/turn (${WHAT_A_TURN_WRITES[checkpoint]}), ` +
          `${fmt((mid.store * 1000) / mid.writes)} µs each; the median run's split`,
      },
      {
        section,
        metric: "  of it: the rest (engine, agent loop, model-call handling)",
        value: mid.cairn - mid.bare - mid.store,
        unit: "ms/turn",
        note: "overhead − transactions, same run; noisy: it takes in GC and the twin's variance",
      },
      {
        section,
        metric: "sampled: CPU in Cairn's own code",
        value: own,
        unit: "ms/turn",
        note:
          `1 run without twin (${fmt(per(sampledMs))} ms/turn), V8 profiler: engine + agent ${fmt(per(sampled["engine + agent"]))}, ` +
          `journal + SQLite ${fmt(per(sampled["journal + SQLite"]))} (transactions timed at ${fmt(sampledTx * 1000)} µs each); besides: AI SDK + zod + streams ${fmt(per(sampled["AI SDK"]))}, ` +
          `GC ${fmt(per(sampled.GC))}, other ${fmt(per(sampled.other))}`,
      },
    ];
  } finally {
    await engine.journal.close();
    store.cleanup();
  }
}
