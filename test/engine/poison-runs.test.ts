import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Engine } from "../../src/engine/engine.js";
import { handBackDelay } from "../../src/engine/run-executor.js";
import { silentLogger } from "../../src/shared/logger.js";
import type { JournalEntry } from "../../src/store/records.js";
import { tempDir, testStore, until } from "../helpers.js";
import { FAULT_WORKFLOWS } from "../support/fault-workflows.js";
import { faultyStore } from "../support/faulty-store.js";
import { spawnWorker } from "../support/spawn-worker.js";

/** How many times each line was written to a counts file. */
function counts(file: string): Map<string, number> {
  const m = new Map<string, number>();
  if (!existsSync(file)) return m;
  for (const line of readFileSync(file, "utf8").split("\n")) if (line) m.set(line, (m.get(line) ?? 0) + 1);
  return m;
}

/**
 * A run that the same error stops every time it runs (here the store refuses its results for
 * good) must not keep a worker busy: it is handed back with a growing delay, reported after a
 * few times, and every other run goes on. The worker runs in its own process, so a worker that
 * loops at full CPU cannot hold up the test.
 */
describe("a run that keeps being stopped by the same error", () => {
  it("backs off instead of looping, is reported on the run and in the log, and other runs go on", async () => {
    const store = await faultyStore(testStore);
    const countsFile = join(tempDir(), "executions.log");
    const engine = new Engine({ journal: store.observer, workflows: FAULT_WORKFLOWS, logger: silentLogger });
    const { runId } = await engine.start("poisoned");
    await store.poison(runId);
    const worker = await spawnWorker(store.url, { env: { COUNTS_FILE: countsFile } });
    const window = Date.now();

    // Other runs, started while it goes round, complete.
    const others: string[] = [];
    for (let i = 0; i < 5; i++) {
      others.push((await engine.start("fine")).runId);
      await new Promise((r) => setTimeout(r, 200));
    }
    await until("every other run to complete", async () => {
      const runs = await Promise.all(others.map((id) => store.observer.getRunSummary("default", id)));
      return runs.every((r) => r?.status === "completed");
    });
    const entries: JournalEntry[] = [];
    await until("the poisoned run to be reported as stalled", async () => {
      entries.push(...(await store.observer.readEntries("default", runId, entries.at(-1)?.seq ?? 0)));
      return entries.some((e) => e.type === "run.stalled");
    });
    const elapsed = Date.now() - window;
    await worker.kill();
    entries.push(...(await store.observer.readEntries("default", runId, entries.at(-1)?.seq ?? 0)));

    // Executions over the window: at once, again at once, then after 0.5 s, 1 s, 2 s…
    const executions = entries.filter((e) => e.type === "run.started").length;
    let allowed = 2;
    for (let waited = 500; waited <= elapsed; waited *= 2) allowed++;
    expect(executions).toBeGreaterThanOrEqual(3);
    expect(executions).toBeLessThanOrEqual(allowed + 1);
    const n = counts(countsFile);
    expect(n.get(`${runId}:work`)).toBe(executions);
    for (const id of others) expect(n.get(`${id}:work`)).toBe(1);

    // The run is not failed: it waits for its next try, and says why, in its log and the worker's.
    expect((await store.observer.getRunSummary("default", runId))?.status).not.toBe("failed");
    const stalled = entries.find((e) => e.type === "run.stalled")!;
    expect(stalled.data.message).toMatch(
      /stopped 3 times in a row, without progress, by: .*the disk says no/,
    );
    expect(stalled.data.message).toContain(`cairn runs cancel ${runId}`);
    expect(worker.log).toContain(`run ${runId} keeps being stopped by the same error`);
  });

  it("waits at once the first time, then longer each time, up to five minutes", () => {
    expect([1, 2, 3, 4, 5].map(handBackDelay)).toEqual([0, 500, 1_000, 2_000, 4_000]);
    expect(handBackDelay(40)).toBe(300_000);
  });
});
