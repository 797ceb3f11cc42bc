import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Engine } from "../../src/engine/engine.js";
import { starvationMessage, storeStallMessage } from "../../src/engine/lease-starvation.js";
import { workflow } from "../../src/engine/workflow.js";
import type { Logger } from "../../src/shared/logger.js";
import { silentLogger } from "../../src/shared/logger.js";
import { harness, tempDir, testStore, until } from "../helpers.js";
import { busyWait, FAULT_WORKFLOWS } from "../support/fault-workflows.js";
import { faultyStore } from "../support/faulty-store.js";
import { spawnWorker } from "../support/spawn-worker.js";

/**
 * A step that computes without awaiting keeps the worker's event loop, and so its lease's
 * heartbeat, from running. Past the lease, another worker takes the run, is held up the same
 * way, and so on. The worker notices its heartbeat came too late, says which step and what to
 * do, and gives the run a longer lease for its next claims: the run completes.
 */
describe("a step that blocks the event loop past the lease", () => {
  it("with two worker processes, the run completes and the step runs a bounded number of times", async () => {
    const store = await faultyStore(testStore);
    const countsFile = join(tempDir(), "executions.log");
    const engine = new Engine({ journal: store.observer, workflows: FAULT_WORKFLOWS, logger: silentLogger });
    const env = { COUNTS_FILE: countsFile, SPIN_MS: "1500" };
    const workers = [
      await spawnWorker(store.url, { leaseTtlMs: 500, env }),
      await spawnWorker(store.url, { leaseTtlMs: 500, env }),
    ];
    const { runId } = await engine.start("spin");
    await until(
      "the run to complete",
      async () => (await store.observer.getRunSummary("default", runId))?.status === "completed",
      60_000,
    );
    await Promise.all(workers.map((w) => w.kill()));
    const lines = existsSync(countsFile) ? readFileSync(countsFile, "utf8").split("\n") : [];
    const spins = lines.filter((l) => l === `${runId}:spin`).length;
    expect(spins).toBeGreaterThanOrEqual(1);
    expect(spins).toBeLessThanOrEqual(4);
    expect(lines.filter((l) => l === `${runId}:after`)).toHaveLength(1);

    // The run says why it got a longer lease, naming the step and what to do.
    const run = await store.observer.getRunSummary("default", runId);
    expect(run?.leaseTtlMs).toBeGreaterThanOrEqual(3_000);
    const starved = (await store.observer.readEntries("default", runId)).filter(
      (e) => e.type === "run.lease_starved",
    );
    expect(starved.length).toBeGreaterThanOrEqual(1);
    const message = String(starved[0]?.data.message);
    expect(message).toMatch(
      /^step "spin" kept the event loop busy for \d+\.\d s, past the run's 0\.5 s lease/,
    );
    expect(message).toContain('workflow("spin", handler, { leaseTtl: "1m" })');
    expect(message).toContain("await new Promise(setImmediate)");
    expect(workers.map((w) => w.log).join("\n")).toContain('step \\"spin\\" kept the event loop busy');
  }, 90_000);

  it("with one worker, it is noticed, logged, and the run's next claims get a longer lease", async () => {
    const warnings: string[] = [];
    const logger: Logger = { ...silentLogger, warn: (m) => warnings.push(m) };
    const wf = workflow("crunch", async ({ step }) => {
      await step.run("quick", () => 1);
      await step.run("crunch", () => busyWait(450));
      return "done";
    });
    const h = await harness([wf], { leaseTtlMs: 150 });
    const engine = new Engine({ journal: h.journal, workflows: [wf], logger, leaseTtlMs: 150 });
    const { runId } = await engine.start(wf);
    const [lease] = await engine.claim(1);
    expect(await engine.execute(lease!)).toBe("completed");
    expect(warnings.some((w) => w.includes(`run ${runId}: step "crunch" kept the event loop busy`))).toBe(
      true,
    );
    const run = await h.journal.getRunSummary("default", runId);
    expect(run?.leaseTtlMs).toBeGreaterThanOrEqual(900);
    const entry = (await h.journal.readEntries("default", runId)).find((e) => e.type === "run.lease_starved");
    expect(entry?.stepId).toBe("crunch");
    expect(entry?.data).toMatchObject({ stepIds: ["crunch"], leaseTtlMs: run?.leaseTtlMs });
    // Noted once the run had ended, it says so instead of promising the run's next claims a longer
    // lease. On SQLite the run completes before the late renewal fires (no I/O to wait on), so it
    // always has; on PostgreSQL the run may still be going when the note's status is read.
    const log = await h.journal.readEntries("default", runId);
    const endedFirst =
      log.findIndex((e) => e.type === "run.ended") < log.findIndex((e) => e.type === "run.lease_starved");
    const said = String(entry?.data.message);
    if (said.includes("has ended since"))
      expect(endedFirst, "said the run had ended while it went on").toBe(true);
    else expect(said).toContain("The run's next claims get a");
    if (testStore === "sqlite") expect(said).toContain("The run has ended since (completed)");
  });

  it("says the run's next claims get a longer lease while the run goes on", async () => {
    const warnings: string[] = [];
    const logger: Logger = { ...silentLogger, warn: (m) => warnings.push(m) };
    const wf = workflow("crunch-then-wait", async ({ step }) => {
      await step.run("crunch", () => busyWait(450));
      // Still running when the late renewal is noticed.
      await step.run("settle", () => new Promise((r) => setTimeout(() => r("settled"), 600)));
      return "done";
    });
    const h = await harness([wf], { leaseTtlMs: 150 });
    const engine = new Engine({ journal: h.journal, workflows: [wf], logger, leaseTtlMs: 150 });
    await engine.start(wf);
    const [lease] = await engine.claim(1);
    expect(await engine.execute(lease!)).toBe("completed");
    const told = warnings.find((w) => w.includes('step "crunch" kept the event loop busy'));
    expect(told).toContain("The run's next claims get a");
    expect(told).not.toContain("has ended");
  });

  it("a workflow may ask for a longer lease: its runs hold it from the start, and nothing starves", async () => {
    const warnings: string[] = [];
    const logger: Logger = { ...silentLogger, warn: (m) => warnings.push(m) };
    let held = 0;
    const wf = workflow(
      "patient",
      async ({ step, runId, journal }) => {
        await step.run("crunch", async () => {
          const run = await journal.getRunSummary("default", runId);
          held = (run?.leaseExpiresAt ?? 0) - (await journal.now());
          busyWait(450);
        });
        return "done";
      },
      { leaseTtl: "5s" },
    );
    const h = await harness([wf], { leaseTtlMs: 150 });
    const engine = new Engine({ journal: h.journal, workflows: [wf], logger, leaseTtlMs: 150 });
    const { runId } = await engine.start(wf);
    const [lease] = await engine.claim(1);
    expect(await engine.execute(lease!)).toBe("completed");
    expect(held).toBeGreaterThan(4_000);
    expect(warnings.filter((w) => w.includes("kept the event loop busy"))).toEqual([]);
    expect((await h.journal.readEntries("default", runId)).map((e) => e.type)).not.toContain(
      "run.lease_starved",
    );
  });

  it("a message told after the run ended says so, for a step and for the store", () => {
    const common = { blockedMs: 5_000, ttlMs: 1_000, nextTtlMs: 16_000, ended: "completed" };
    const step = starvationMessage({ ...common, workflow: "wf", stepId: "s" });
    expect(step).toContain("The run has ended since (completed)");
    expect(step).not.toMatch(/next claims|may take the run over/);
    expect(step).toContain('workflow("wf", handler, { leaseTtl: "1m" })');
    const store = storeStallMessage({ ...common, storeMs: 4_000 });
    expect(store).toContain("The run has ended since (completed)");
    expect(store).not.toContain("next claims");
    expect(storeStallMessage({ ...common, storeMs: 4_000, ended: undefined })).toContain(
      "The run's next claims get a 16 s lease",
    );
  });

  it("a lease option that is not a duration is refused when the workflow is defined", () => {
    expect(() => workflow("bad", async () => null, { leaseTtl: "soon" })).toThrow(
      /workflow "bad" leaseTtl: "soon" is not a duration/,
    );
  });

  it("a worker that did not run at all (SIGSTOP) blames no step and keeps the run's lease", async () => {
    const store = await faultyStore(testStore);
    const countsFile = join(tempDir(), "executions.log");
    const engine = new Engine({ journal: store.observer, workflows: FAULT_WORKFLOWS, logger: silentLogger });
    // A lease long enough that a loaded machine does not starve it before the test freezes it.
    const worker = await spawnWorker(store.url, {
      leaseTtlMs: 2_000,
      env: { COUNTS_FILE: countsFile, NAP_MS: "9000" },
    });
    const { runId } = await engine.start("nap");
    const lines = () => (existsSync(countsFile) ? readFileSync(countsFile, "utf8").split("\n") : []);
    await until("the step to start", () => lines().includes(`${runId}:nap`), 60_000);
    // Frozen mid-step, as a paused VM or a suspended laptop is, for over two leases. Stopped
    // while its event loop waits for I/O, as an idle worker's mostly does: a process stopped in
    // the middle of running code cannot be told from code that blocks the loop.
    const pid = worker.child.pid!;
    await until(
      "the worker's main thread to wait in epoll (its event loop idle), to stop it there",
      () => {
        // Asleep is not enough: a thread waiting for GC helpers sleeps too, with the loop busy.
        if (!readFileSync(`/proc/${pid}/wchan`, "utf8").includes("epoll")) return false;
        process.kill(pid, "SIGSTOP");
        return true;
      },
      20_000,
      1,
    );
    await new Promise((r) => setTimeout(r, 5_000));
    worker.child.kill("SIGCONT");
    await until(
      "the run to complete",
      async () => (await store.observer.getRunSummary("default", runId))?.status === "completed",
      60_000,
    );
    await until(
      "the worker to say it did not run",
      () => worker.log.includes("did not run at all"),
      20_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}; the worker logged:\n${worker.log}`);
    });
    await worker.kill();
    expect(worker.log).not.toContain("kept the event loop busy");
    const entries = await store.observer.readEntries("default", runId);
    expect(entries.filter((e) => e.type === "run.lease_starved")).toEqual([]);
    expect((await store.observer.getRunSummary("default", runId))?.leaseTtlMs ?? 2_000).toBeLessThanOrEqual(
      2_000,
    );
  }, 120_000);
});
