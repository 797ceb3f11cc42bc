import { describe, expect, it } from "vitest";
import { duration } from "../../src/cli/format.js";
import { Engine } from "../../src/engine/engine.js";
import { Worker } from "../../src/engine/worker.js";
import { workflow } from "../../src/engine/workflow.js";
import { ManualClock } from "../../src/shared/clock.js";
import { silentLogger } from "../../src/shared/logger.js";
import { SqliteJournal } from "../../src/store/sqlite/sqlite-journal.js";
import { Project } from "./project.js";

const CONFIG = `import { defineConfig, workflow } from "cairn-runtime";
const longsleep = workflow("longsleep", async ({ step }) => { await step.sleep("nap", "1h"); return 1; });
export default defineConfig({ workflows: [longsleep] });
`;

interface ShowJson {
  run: { id: string; status: string; endedAt: number | null; reason: string | null };
  steps: { stepId: string; status: string; startedAt: number }[];
}

/** The row of step `id` in `runs show`'s table. */
function stepRow(stdout: string, id: string): string {
  const row = stdout.split("\n").find((l) => new RegExp(`^\\d+\\s+\\S\\s+${id}\\s`).test(l));
  expect(row, `no row for step ${id} in:\n${stdout}`).toBeDefined();
  return row!;
}

describe("cairn runs show", () => {
  it("a cancelled run's step that was waiting shows as cancelled, timed up to the run's end", async () => {
    const p = new Project(CONFIG);
    const { id } = await p.json<{ id: string; status: string }>(["run", "longsleep"]);
    expect((await p.run(["runs", "cancel", id])).code).toBe(0);
    const shown = await p.json<ShowJson>(["runs", "show", id]);
    expect(shown.run.status).toBe("cancelled");
    const nap = shown.steps.find((s) => s.stepId === "nap")!;

    const r = await p.run(["runs", "show", id]);
    expect(r.code, r.stderr).toBe(0);
    const row = stepRow(r.stdout, "nap");
    expect(row).toMatch(/nap\s+sleep\s+cancelled\s/);
    expect(row).not.toContain("waiting");
    // Its time is fixed at the run's end, not a clock that keeps running.
    expect(row.trimEnd().endsWith(duration(shown.run.endedAt! - nap.startedAt)), row).toBe(true);
  }, 60_000);

  it("a needs-attention run's note is shown whole, both commands it suggests included", async () => {
    const p = new Project(`import { defineConfig, workflow } from "cairn-runtime";
const charger = workflow("charger", async ({ step }) => {
  await step.run("charge-the-customers-card", () => "charged", { sideEffect: true });
  return "done";
});
export default defineConfig({ workflows: [charger] });
`);
    // A process that died inside the side-effecting step, as the engine finds it afterwards.
    const clock = new ManualClock(Date.now());
    const journal = new SqliteJournal({ path: p.store.slice("sqlite:".length), clock });
    try {
      const charger = workflow("charger", async ({ step }) => {
        await step.run("charge-the-customers-card", () => "charged", { sideEffect: true });
        return "done";
      });
      const engine = new Engine({ journal, workflows: [charger], logger: silentLogger, leaseTtlMs: 1000 });
      const { runId } = await engine.start(charger, {});
      const [lease] = await engine.claim(1);
      expect(lease?.runId).toBe(runId);
      await journal.recordIntent(lease!, {
        stepId: "charge-the-customers-card",
        seq: 0,
        kind: "run",
        attempt: 1,
        startedAt: clock.now(),
        sideEffect: true,
      });
      clock.advance(5000);
      await new Worker(engine, { pollIntervalMs: 5 }).drain();
    } finally {
      await journal.close();
    }
    const [run] = await p.json<ShowJson["run"][]>(["runs", "ls"]);
    expect(run?.status).toBe("needs-attention");
    expect(run!.reason!.length).toBeGreaterThan(200);

    const r = await p.run(["runs", "show", run!.id]);
    expect(r.code, r.stderr).toBe(0);
    const note = r.stdout.split("\n").find((l) => l.trimStart().startsWith("note"));
    expect(note, r.stdout).toBeDefined();
    expect(note).toContain(`cairn runs retry-step ${run!.id} charge-the-customers-card`);
    expect(note!.trimEnd()).toMatch(
      new RegExp(`or cairn runs skip-step ${run!.id} charge-the-customers-card$`),
    );
  }, 60_000);
});
