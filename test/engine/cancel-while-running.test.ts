import { describe, expect, it } from "vitest";
import { Engine } from "../../src/engine/engine.js";
import type { Progress } from "../../src/engine/progress.js";
import { workflow } from "../../src/engine/workflow.js";
import type { Logger } from "../../src/shared/logger.js";
import { silentLogger } from "../../src/shared/logger.js";
import { Counter, harness, until } from "../helpers.js";

/**
 * A second cancel ends a running run at once (the first only asks it to stop at its next
 * step). The worker executing it then finds its lease gone: it must say the run was cancelled,
 * not that another worker owns it.
 */
describe("a run cancelled while a worker executes it", () => {
  it.each([
    ["at the step's commit", 30_000, 0],
    ["at the lease's next heartbeat", 150, 400],
  ])("is reported as cancelled %s", async (_, leaseTtlMs, holdMs) => {
    const c = new Counter();
    const logs: string[] = [];
    const logger: Logger = {
      ...silentLogger,
      info: (m, f) => logs.push(`info: ${m} ${String(f?.reason)}`),
      warn: (m, f) => logs.push(`warn: ${m} ${String(f?.reason)}`),
    };
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const wf = workflow("long", async ({ step }) => {
      await step.run("work", async () => {
        c.hit("work");
        await gate;
      });
      await step.run("next", () => c.hit("next"));
    });
    const h = await harness([wf]);
    const engine = new Engine({ journal: h.journal, workflows: [wf], logger, leaseTtlMs });
    const progress: Progress[] = [];
    engine.on((p) => progress.push(p));
    const { runId } = await engine.start(wf);
    const [lease] = await engine.claim(1);
    const execution = engine.execute(lease!);
    await until("the step to start", () => c.get("work") === 1);

    expect(await engine.cancel(runId, "not needed")).toBe("running");
    expect(await engine.cancel(runId, "really not needed")).toBe("cancelled");
    await new Promise((r) => setTimeout(r, holdMs));
    release();
    expect(await execution).toBe("cancelled");

    expect(logs.join("\n")).not.toMatch(/another worker owns the run|lease is no longer ours/);
    expect(logs).toContainEqual(
      expect.stringMatching(
        /^info: stopped executing a run: it was cancelled run \S+ was cancelled \(really not needed\)/,
      ),
    );
    expect(progress.map((p) => p.type)).not.toContain("run.lease_lost");
    expect(progress).toContainEqual({ type: "run.ended", runId, status: "cancelled" });
    expect(c.get("next")).toBe(0);
    expect((await h.journal.getRunSummary("default", runId))?.status).toBe("cancelled");
  });
});
