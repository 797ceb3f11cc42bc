import { describe, expect, it } from "vitest";
import { agent } from "../../src/agent/agent.js";
import { Engine } from "../../src/engine/engine.js";
import { Worker } from "../../src/engine/worker.js";
import { workflow } from "../../src/engine/workflow.js";
import type { Logger } from "../../src/shared/logger.js";
import { mockModel } from "../../src/testing/index.js";
import { Counter } from "../helpers.js";
import { testEnv } from "./support.js";

/** The order workflow as first shipped: charge, wait a day, ship. */
const orderV1 = workflow("order", async ({ step }) => {
  await step.run("charge", () => "charged");
  await step.sleep("cool-off", "1d");
  return step.run("ship", () => ({ shipped: true, checked: false }));
});

describe("run versions", () => {
  it("each run records the version it started on: a hash of the definition, or the one its author set", async () => {
    const edited = workflow("order", async ({ step }) => {
      await step.run("charge", () => "charged twice");
      return "x";
    });
    expect(orderV1.version).toMatch(/^hash:[0-9a-f]{12}$/);
    expect(edited.version).toMatch(/^hash:[0-9a-f]{12}$/);
    expect(edited.version).not.toBe(orderV1.version);
    const named = workflow("order", async () => "v", { version: "2026-03" });
    expect(named.version).toBe("2026-03");
    expect(() => workflow("bad", async () => 1, { version: "two words" })).toThrow(
      /version "two words" is not valid/,
    );

    const env = await testEnv({ workflows: [orderV1] });
    const run = await env.start(orderV1);
    expect((await run.record()).version).toBe(orderV1.version);

    const model = mockModel(["hi"]);
    const a = agent({ name: "a", instructions: "Be brief.", model });
    const b = agent({ name: "a", instructions: "Be very brief.", model });
    expect(a.workflow.version).not.toBe(b.workflow.version);
    expect(agent({ name: "a", instructions: "x", model, version: "7" }).workflow.version).toBe("7");
  });
});

describe("step.patched: shipping a change to code that runs have already passed", () => {
  const c = new Counter();
  const orderV2 = workflow("order", async ({ step }) => {
    await step.run("charge", () => "charged");
    let checked = false;
    if (await step.patched("fraud-check"))
      checked = await step.run("fraud-check", () => (c.hit("fraud"), true));
    await step.sleep("cool-off", "1d");
    return step.run("ship", () => ({ shipped: true, checked }));
  });

  it("a run started before the patch keeps the old path; a run started after takes the new one", async () => {
    const env = await testEnv({ workflows: [orderV1] });
    const old = await env.start(orderV1);
    expect(await old.status()).toBe("waiting");
    await env.deploy({ workflows: [orderV2] });
    const fresh = await env.start(orderV2);
    await env.advance("1d");
    expect(await old.result()).toEqual({ shipped: true, checked: false });
    expect(await fresh.result()).toEqual({ shipped: true, checked: true });
    expect((await old.steps()).map((s) => s.id)).toEqual(["charge", "cool-off", "ship"]);
    expect((await fresh.steps()).map((s) => [s.id, s.kind])).toEqual([
      ["charge", "run"],
      ["patch:fraud-check", "patch"],
      ["fraud-check", "run"],
      ["cool-off", "sleep"],
      ["ship", "run"],
    ]);
  });

  it("without patched, the same change fails the old run with an error naming the step and the fix", async () => {
    const naive = workflow("order", async ({ step }) => {
      await step.run("charge", () => "charged");
      await step.run("fraud-check", () => true);
      await step.sleep("cool-off", "1d");
      return step.run("ship", () => ({ shipped: true, checked: true }));
    });
    const env = await testEnv({ workflows: [orderV1] });
    const old = await env.start(orderV1);
    await env.deploy({ workflows: [naive] });
    await env.advance("1d");
    await expect(old.result()).rejects.toThrow(
      /at position 2 the journal has step "cool-off" \(sleep\) but the code now calls "fraud-check" \(run\).*step\.patched/,
    );
  });

  it("once every run has the marker, the patched() call can go: its marker is passed over", async () => {
    const env = await testEnv({ workflows: [orderV2] });
    const patchedRun = await env.start(orderV2);
    const cleaned = workflow("order", async ({ step }) => {
      await step.run("charge", () => "charged");
      const checked = await step.run("fraud-check", () => true);
      await step.sleep("cool-off", "1d");
      return step.run("ship", () => ({ shipped: true, checked, cleaned: true }));
    });
    await env.deploy({ workflows: [cleaned] });
    await env.advance("1d");
    expect(await patchedRun.result()).toEqual({ shipped: true, checked: true, cleaned: true });
  });
});

describe("versions its author set", () => {
  const v1 = workflow(
    "invoice",
    async ({ step }) => {
      await step.sleep("wait", "1h");
      return step.run("send", () => "sent by v1");
    },
    { version: "1" },
  );
  const v2 = workflow(
    "invoice",
    async ({ step }) => {
      await step.run("render", () => "pdf");
      await step.sleep("wait", "1h");
      return step.run("send", () => "sent by v2");
    },
    { version: "2" },
  );

  it("a worker without the run's version reports it and leaves it; one with it runs it on that version", async () => {
    const env = await testEnv({ workflows: [v1] });
    const old = await env.start(v1);
    const report = await env.deploy({ workflows: [v2] });
    expect(report).toEqual([
      expect.objectContaining({
        workflow: "invoice",
        version: "1",
        why: "unknown-version",
        runs: 1,
        oldestRunId: old.id,
      }),
    ]);
    await env.advance("2h");
    expect(await old.status()).toBe("waiting");
    const { reason } = await old.record();
    expect(reason).toContain(
      'started on version "1" of workflow "invoice", which no worker here has (here: 2)',
    );
    expect(reason).toContain(`cairn runs migrate ${old.id} --to-version 2`);

    // Both versions deployed: the old run finishes on v1, new runs start on v2.
    expect(await env.deploy({ workflows: [v1, v2] })).toEqual([]);
    expect(await old.result()).toBe("sent by v1");
    const fresh = await env.start("invoice");
    expect((await fresh.record()).version).toBe("2");
    await env.advance("1h");
    expect(await fresh.result()).toBe("sent by v2");
  });

  it("an operator can move a run to the current version; it then goes on with that code", async () => {
    const env = await testEnv({ workflows: [v1] });
    const old = await env.start(v1);
    await env.advance("2h"); // v1's run is done
    const second = await env.start(v1);
    await env.deploy({ workflows: [v2] });
    expect(await old.result()).toBe("sent by v1");
    await env.journal.migrateRun(env.workspace, second.id, "2");
    await env.advance("1h");
    // v2's code replays v1's journal: "wait" is where "render" now is, so the run must fail clearly.
    await expect(second.result()).rejects.toThrow(
      /journal has step "wait" \(sleep\) but the code now calls "render"/,
    );
  });

  it("two definitions with one id need versions of their own", () => {
    const plain = workflow("invoice", async () => 1);
    expect(() => new Engine({ journal: undefined as never, workflows: [plain, v2] })).toThrow(
      /two workflows share the id "invoice"; to keep an older version .* give each its own version/,
    );
    expect(() => new Engine({ journal: undefined as never, workflows: [v2, v2] })).toThrow(
      /two definitions of workflow "invoice" share the version "2"/,
    );
  });
});

describe("a removed workflow", () => {
  it("its runs are reported by the worker at start and noted on the runs, not silently kept queued", async () => {
    const report = workflow("weekly-report", async ({ step }) => step.run("build", () => "report"));
    const other = workflow("other", async () => "ok");
    const env = await testEnv({ workflows: [report, other] });
    const queued = await env.engine.start(report);
    const errors: string[] = [];
    const logger: Logger = { debug() {}, info() {}, warn() {}, error: (m) => errors.push(m) };
    const engine = new Engine({ journal: env.journal, workflows: [other], workspace: env.workspace, logger });
    const worker = new Worker(engine, { pollIntervalMs: 5 });
    worker.start();
    const deadline = Date.now() + 20_000;
    while (errors.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await worker.stop();
    expect(errors, "the worker's report within 20 s").toHaveLength(1);
    expect(errors[0]).toContain(
      `1 run of workflow "weekly-report" cannot be executed by this worker, e.g. ${queued.runId}`,
    );
    expect(errors[0]).toContain("add it back to cairn.config.ts");
    const run = env.run(queued.runId);
    expect(await run.status()).toBe("queued");
    expect((await run.record()).reason).toContain(`cairn runs cancel ${queued.runId}`);
    // Back in the code: a worker that has it runs it, and the note is gone.
    await env.drain();
    expect(await run.result()).toBe("report");
    expect((await run.record()).reason).toBeNull();
  });
});
