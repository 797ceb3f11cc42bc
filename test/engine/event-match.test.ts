import { describe, expect, it } from "vitest";
import { workflow } from "../../src/engine/workflow.js";
import { harness } from "../helpers.js";

interface Order {
  orderId: string;
  orderID?: string;
}

/** Waits for its own order's payment; `pick` chooses the match value (a typo gives undefined). */
function payment(id: string, pick: (input: Order) => unknown) {
  return workflow(id, async ({ input, step }) => {
    const ev = await step.waitForEvent<{ orderId: string }>("paid", {
      event: "order.paid",
      match: { "data.orderId": pick(input as Order) },
    });
    return ev?.data.orderId ?? null;
  });
}

describe("event matching", () => {
  it("two runs waiting for different orders are each resumed by their own event only", async () => {
    const wf = payment("pay", (input) => input.orderId);
    const h = await harness([wf]);
    const a = await h.engine.start(wf, { orderId: "o-1" });
    const b = await h.engine.start(wf, { orderId: "o-2" });
    await h.drain();
    const neither = await h.engine.send({ name: "order.paid", data: { orderId: "o-3" } });
    const noKey = await h.engine.send({ name: "order.paid", data: { total: 5 } });
    expect(neither.resumedRuns).toEqual([]);
    expect(noKey.resumedRuns).toEqual([]);
    await h.drain();
    for (const r of [a, b])
      expect((await h.journal.getRunSummary("default", r.runId))?.status).toBe("waiting");
    expect((await h.engine.send({ name: "order.paid", data: { orderId: "o-2" } })).resumedRuns).toEqual([
      b.runId,
    ]);
    await h.drain();
    expect(await h.journal.getRun("default", b.runId)).toMatchObject({ status: "completed", output: "o-2" });
    expect((await h.journal.getRunSummary("default", a.runId))?.status).toBe("waiting");
  });

  it("an undefined match value (a misspelled field) fails its run naming the key, and matches nothing", async () => {
    const typo = payment("typo", (input) => input.orderID);
    const good = payment("good", (input) => input.orderId);
    const h = await harness([typo, good]);
    const bad1 = await h.engine.start(typo, { orderId: "o-1" });
    const bad2 = await h.engine.start(typo, { orderId: "o-2" });
    const ok = await h.engine.start(good, { orderId: "o-9" });
    await h.drain();
    for (const r of [bad1, bad2]) {
      const run = await h.journal.getRunSummary("default", r.runId);
      expect(run?.status).toBe("failed");
      expect(run?.error?.code).toBe("CAIRN_INVALID_INPUT");
      expect(run?.error?.message).toContain('match["data.orderId"] is undefined');
      expect(run?.error?.message).toContain("misspelled");
    }
    // An event meant for neither resumes neither, and the good run keeps waiting for its own.
    const sent = await h.engine.send({ name: "order.paid", data: { orderId: "o-5" } });
    expect(sent.resumedRuns).toEqual([]);
    expect((await h.journal.getRunSummary("default", ok.runId))?.status).toBe("waiting");
  });

  it("refuses functions, symbols, BigInts, NaN and undefined anywhere in the match, nested too", async () => {
    const values: [string, unknown, string][] = [
      ["nested-undefined", { data: { orderId: undefined } }, 'match["data.orderId"] is undefined'],
      ["in-array", { "data.ids": [1, undefined] }, 'match["data.ids[1]"] is undefined'],
      ["function", { "data.orderId": () => "o-1" }, 'match["data.orderId"] is a function'],
      ["symbol", { "data.orderId": Symbol("o") }, 'match["data.orderId"] is a symbol'],
      ["bigint", { "data.n": 1n }, 'match["data.n"] is a BigInt'],
      ["nan", { "data.n": Number.NaN }, 'match["data.n"] is NaN'],
      ["map", { "data.m": new Map() }, 'match["data.m"] is a Map'],
    ];
    const wfs = values.map(([id, match]) =>
      workflow(id, async ({ step }) =>
        step.waitForEvent("w", { event: "order.paid", match: match as never }),
      ),
    );
    const h = await harness(wfs);
    const runs = await Promise.all(wfs.map((wf) => h.engine.start(wf)));
    await h.drain();
    for (const [i, [, , message]] of values.entries()) {
      const run = await h.journal.getRunSummary("default", runs[i]!.runId);
      expect(run?.status, values[i]![0]).toBe("failed");
      expect(run?.error?.message).toContain(message);
    }
    expect((await h.engine.send({ name: "order.paid", data: { orderId: "o-1" } })).resumedRuns).toEqual([]);
  });
});
