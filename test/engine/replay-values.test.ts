import { describe, expect, it } from "vitest";
import { Engine } from "../../src/engine/engine.js";
import { Worker } from "../../src/engine/worker.js";
import { workflow } from "../../src/engine/workflow.js";
import { silentLogger } from "../../src/shared/logger.js";
import { harness } from "../helpers.js";

const WHEN = Date.UTC(2030, 0, 2, 3, 4, 5);

describe("replay returns what the first pass returned", () => {
  it("a step returning a Date gives the same value before and after a crash and resume", async () => {
    const seen: unknown[] = [];
    const children: unknown[] = [];
    const child = workflow("child", async () => ({ at: new Date(WHEN) }));
    const dated = workflow("dated", async ({ step }) => {
      const v = await step.run("when", () => ({ when: new Date(WHEN), n: 1, gone: undefined }));
      seen.push(v); // on the first pass, on the pass after the child ended, after the resume
      const c = await step.invoke("child", child, {});
      children.push(c);
      await step.sleep("pause", "1m");
      return { v, c, at: new Date(WHEN) };
    });
    const h = await harness([dated, child]);
    const { runId } = await h.engine.start(dated);
    await h.drain();
    expect(seen).toHaveLength(2);
    expect(seen[1]).toStrictEqual(seen[0]);
    expect((await h.journal.getRunSummary("default", runId))?.status).toBe("waiting");

    // A new process over the same store resumes the run: every step is served from the journal.
    const journal = await h.reopen();
    const engine = new Engine({ journal, workflows: [dated, child], logger: silentLogger });
    const ended: unknown[] = [];
    engine.on((p) => {
      if (p.type === "run.ended" && p.runId === runId) ended.push(p.output);
    });
    h.clock.advance(60_000);
    await new Worker(engine, { pollIntervalMs: 5 }).drain();
    expect(seen).toHaveLength(3);
    const iso = new Date(WHEN).toISOString();
    expect(seen).toStrictEqual([1, 2, 3].map(() => ({ when: iso, n: 1 })));
    expect(children).toStrictEqual([{ at: iso }, { at: iso }]);
    // The run's final output, as listeners see it, is what the store gives back.
    const run = await journal.getRun("default", runId);
    expect(run?.status).toBe("completed");
    expect(ended).toStrictEqual([run?.output]);
    expect(run?.output).toStrictEqual({ v: { when: iso, n: 1 }, c: { at: iso }, at: iso });
  });

  it("a plain JSON result is returned as it is, the same object, at no decoding cost", async () => {
    const plain = { a: [1, "x", null, { b: true }] };
    let got: unknown;
    const wf = workflow("plain", async ({ step }) => {
      got = await step.run("p", () => plain);
    });
    const h = await harness([wf]);
    await h.engine.start(wf);
    await h.drain();
    expect(got).toBe(plain);
  });
});
