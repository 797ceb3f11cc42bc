import { describe, expect, it } from "vitest";
import { Engine } from "../../src/engine/engine.js";
import { workflow } from "../../src/engine/workflow.js";
import { silentLogger } from "../../src/shared/logger.js";
import { SqliteJournal } from "../../src/store/sqlite/sqlite-journal.js";
import { collect, countingConfig, Project, waitForOutput } from "./project.js";

/** Enqueues runs straight into the project's store (as an app server would). */
async function startRuns(p: Project, id: string, n: number): Promise<void> {
  const journal = new SqliteJournal({ path: p.store.slice("sqlite:".length) });
  const engine = new Engine({ journal, workflows: [workflow(id, async () => null)], logger: silentLogger });
  for (let i = 0; i < n; i++) await engine.start(id, {});
  await journal.close();
}

interface ShowJson {
  run: { id: string; status: string; output: unknown };
  steps: { stepId: string; status: string; attempt: number }[];
  attempts: { stepId: string; outcome: string }[];
}

const FIVE_STEPS = countingConfig(`
const fiveSteps = workflow("five-steps", async ({ step }) => {
  const done: string[] = [];
  for (const name of ["one", "two", "three", "four", "five"]) {
    done.push(await step.run(name, async () => {
      mark("start:" + name);
      await pause(Number(process.env.STEP_MS ?? 1000));
      mark(name);
      return name;
    }));
  }
  return done;
});

const napper = workflow("napper", async ({ step }) => {
  await step.run("before", () => mark("before"));
  await step.sleep("nap", "1500ms");
  await step.run("after", () => mark("after"));
  return "rested";
});

const charger = workflow("charger", async ({ step }) => {
  await step.run("charge", async () => {
    mark("start:charge");
    await pause(2000);
    mark("charge");
    return "charged";
  }, { sideEffect: true });
  return "done";
});

export default defineConfig({ workflows: [fiveSteps, napper, charger] });
`);

/**
 * Each test launches several `cairn` processes (about 2 s of CPU each to start): on a loaded
 * machine they need minutes, not seconds. Every wait inside has its own deadline and message.
 */
const SLOW = 180_000;

function runIdFrom(stdout: string): string {
  const m = /run (run_\w+)/.exec(stdout);
  if (!m) throw new Error(`no run id in output:\n${stdout}`);
  return m[1]!;
}

describe("crash recovery with real processes and SIGKILL", () => {
  it(
    "done-when: killed after the second of five one-second steps, `cairn worker --once` completes the run; the first two ran once",
    async () => {
      const p = new Project(FIVE_STEPS);
      const killed = await p.runAndKill(["run", "five-steps"], /✓ two /);
      expect(killed.signal).toBe("SIGKILL");
      const runId = runIdFrom(killed.stdout);
      const worker = await p.run(["worker", "--once"]);
      expect(worker.code).toBe(0);
      expect(worker.stdout).toMatch(/↺ one served from the journal/);
      expect(worker.stdout).toMatch(/↺ two served from the journal/);
      const shown = await p.json<ShowJson>(["runs", "show", runId]);
      expect(shown.run.status).toBe("completed");
      expect(shown.run.output).toEqual(["one", "two", "three", "four", "five"]);
      expect(shown.steps.map((s) => [s.stepId, s.status])).toEqual([
        ["one", "completed"],
        ["two", "completed"],
        ["three", "completed"],
        ["four", "completed"],
        ["five", "completed"],
      ]);
      const n = p.executions();
      expect([n.get("start:one"), n.get("start:two")]).toEqual([1, 1]);
      expect(["three", "four", "five"].map((s) => n.get(s))).toEqual([1, 1, 1]);
    },
    SLOW,
  );

  it(
    "killed during a step: the step's body runs again (at least once), every step is recorded once",
    async () => {
      const p = new Project(FIVE_STEPS);
      const killed = await p.runAndKill(["run", "five-steps"], /▸ three/, {
        env: { STEP_MS: "300" },
        delayMs: 100,
      });
      expect(killed.signal).toBe("SIGKILL");
      const runId = runIdFrom(killed.stdout);
      await p.run(["worker", "--once"], { STEP_MS: "300" });
      const shown = await p.json<ShowJson>(["runs", "show", runId]);
      expect(shown.run.status).toBe("completed");
      const n = p.executions();
      expect(n.get("start:three")).toBe(2);
      expect(n.get("three")).toBe(1);
      expect(n.get("start:one")).toBe(1);
      expect(shown.steps).toHaveLength(5);
    },
    SLOW,
  );

  it(
    "killed during a durable sleep: a new worker finishes the run once the timer is due",
    async () => {
      const p = new Project(FIVE_STEPS);
      const killed = await p.runAndKill(["run", "napper"], /… nap sleeping/, { delayMs: 300 });
      expect(killed.signal).toBe("SIGKILL");
      const runId = runIdFrom(killed.stdout);
      const early = await p.json<ShowJson>(["runs", "show", runId]);
      expect(early.run.status).toBe("waiting");
      await new Promise((r) => setTimeout(r, 1600));
      await p.run(["worker", "--once"]);
      const shown = await p.json<ShowJson>(["runs", "show", runId]);
      expect(shown.run.status).toBe("completed");
      expect(p.executions().get("before")).toBe(1);
      expect(p.executions().get("after")).toBe(1);
    },
    SLOW,
  );

  it(
    "killed inside a side-effecting step: the run waits for a person instead of charging twice",
    async () => {
      const p = new Project(FIVE_STEPS);
      const killed = await p.runAndKill(["run", "charger"], /▸ charge/, { delayMs: 500 });
      const runId = runIdFrom(killed.stdout);
      await p.run(["worker", "--once"]);
      let shown = await p.json<ShowJson>(["runs", "show", runId]);
      expect(shown.run.status).toBe("needs-attention");
      expect(p.executions().get("start:charge")).toBe(1);
      const show = await p.run(["runs", "show", runId]);
      expect(show.stdout).toContain(`cairn runs retry-step ${runId} charge`);
      const skip = await p.run(["runs", "skip-step", runId, "charge", "--output", '"charged by hand"']);
      expect(skip.code).toBe(0);
      await p.run(["worker", "--once"]);
      shown = await p.json<ShowJson>(["runs", "show", runId]);
      expect(shown.run.status).toBe("completed");
      expect(p.executions().get("start:charge")).toBe(1);
      expect(shown.attempts.map((a) => a.outcome)).toEqual(["skipped"]);
    },
    SLOW,
  );

  it(
    "a recovery sweep never takes a run that is alive in another process",
    async () => {
      const p = new Project(FIVE_STEPS);
      const attached = p.spawn(["run", "five-steps"], { STEP_MS: "700" });
      // Collected from the start: on a loaded machine the sweep below may outlast the run, whose
      // exit a listener attached after it would never see.
      const done = collect(attached, "the attached `cairn run five-steps`");
      await waitForOutput(attached, "▸ two", "the attached run to start its second step");
      const sweep = await p.run(["worker", "--once"]);
      expect(sweep.stdout).toContain("worker: 0 executions");
      const out = (await done).stdout;
      expect(out).toContain("completed");
      const n = p.executions();
      expect(["one", "two", "three", "four", "five"].map((s) => n.get("start:" + s))).toEqual([
        1, 1, 1, 1, 1,
      ]);
    },
    SLOW,
  );

  it(
    "two worker processes draining the same store never execute or commit a step twice",
    async () => {
      const p = new Project(
        countingConfig(`
const small = workflow("small", async ({ step, runId }) => {
  for (const s of ["a", "b", "c"]) await step.run(s, () => { mark(runId + ":" + s); return s; });
  return "ok";
});
export default defineConfig({ workflows: [small] });
`),
      );
      expect((await p.run(["run", "small", "--detach"])).code).toBe(0);
      await startRuns(p, "small", 29);
      const [w1, w2] = await Promise.all([p.run(["worker", "--once"]), p.run(["worker", "--once"])]);
      expect([w1.code, w2.code]).toEqual([0, 0]);
      const runs = await p.json<{ id: string; status: string }[]>(["runs", "ls", "--limit", "100"]);
      expect(runs).toHaveLength(30);
      expect(runs.every((r) => r.status === "completed")).toBe(true);
      const n = p.executions();
      expect(n.size).toBe(90);
      expect([...n.values()].every((v) => v === 1)).toBe(true);
    },
    2 * SLOW,
  );
});
