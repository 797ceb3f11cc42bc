import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { CairnApiError, CairnClient, RunFailedError } from "../../src/client/index.js";
import type { RunEvent, RunSummary, Run, RunDetail } from "../../src/client/index.js";
import { workflow } from "../../src/engine/workflow.js";
import type { RunSchema, RunSummarySchema } from "../../src/server/schemas.js";
import { startTcpProxy } from "../support/tcp-proxy.js";
import { shipIt } from "./fixtures.js";
import { gate, serverHarness } from "./support.js";

// The client's types are the server's schemas: this does not compile when they drift apart.
const _summary = (x: z.infer<typeof RunSummarySchema>): RunSummary => x;
const _run = (x: z.infer<typeof RunSchema>): Run => x;
void _summary;
void _run;

let release = gate();
const chatter = workflow("chatter", async ({ step }) => {
  return step.run("talk", async (ctx) => {
    for (let i = 0; i < 5; i++) ctx.progress({ type: "text-delta", text: `a${i} ` });
    await release.promise;
    for (let i = 0; i < 5; i++) ctx.progress({ type: "text-delta", text: `b${i} ` });
    return "ok";
  });
});
const boom = workflow("boom", async ({ step }) => {
  await step.run(
    "fail",
    () => {
      throw new Error("it broke");
    },
    { retries: 0 },
  );
});

describe("CairnClient", () => {
  it("starts, gets, lists, waits for results, approves and rejects", async () => {
    release = gate();
    release.open();
    const s = await serverHarness([shipIt, chatter, boom]);
    s.startWorker();
    const cairn = new CairnClient({ baseUrl: s.url, apiKey: await s.key(["admin"], "default", "alice") });
    const a = await cairn.start("ship-it", {}, { idempotencyKey: "k1" });
    expect((await cairn.start("ship-it", {}, { idempotencyKey: "k1" })).run.id).toBe(a.run.id);
    const b = await cairn.start("ship-it");
    const done = await cairn.start("chatter", undefined, { waitMs: 20_000 });
    expect(done.run).toMatchObject({ status: "completed", output: "ok" });
    const pending = await waitForApprovals(cairn, 2);
    const approved = await cairn.approve(pending.find((p) => p.runId === a.run.id)!.id);
    expect(approved).toMatchObject({ status: "approved", decidedBy: "alice" });
    await cairn.reject(pending.find((p) => p.runId === b.run.id)!.id, "not now");
    expect(await cairn.result(a.run.id, { timeoutMs: 20_000 })).toEqual({ status: "approved", by: "alice" });
    expect(await cairn.result(b.run.id, { timeoutMs: 20_000 })).toEqual({ status: "rejected", by: "alice" });
    const failed = await cairn.start("boom");
    await expect(cairn.result(failed.run.id, { timeoutMs: 20_000 })).rejects.toBeInstanceOf(RunFailedError);
    const detail: RunDetail = await cairn.get(a.run.id);
    expect(detail.steps.map((x) => x.stepId)).toEqual(["ship"]);
    const all: string[] = [];
    for await (const r of cairn.listAll({ workflow: "ship-it", limit: 1 })) all.push(r.id);
    expect(all.sort()).toEqual([a.run.id, b.run.id].sort());
    const err = await cairn.get("run_nope").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CairnApiError);
    expect(err).toMatchObject({ status: 404, code: "CAIRN_RUN_NOT_FOUND" });
  });

  it("stream() resumes by itself after the connection drops, missing and repeating nothing", async () => {
    release = gate();
    const s = await serverHarness([chatter]);
    s.startWorker();
    const proxy = await startTcpProxy(s.server.port);
    const key = await s.key(["read", "run"]);
    const cairn = new CairnClient({ baseUrl: `http://127.0.0.1:${proxy.port}`, apiKey: key });
    const { run } = await cairn.start("chatter");
    const events: RunEvent[] = [];
    let cut = false;
    for await (const e of cairn.stream(run.id, { maxRetryDelayMs: 100 })) {
      events.push(e);
      if (!cut && e.type === "step.progress") {
        // The network goes away mid-answer, then comes back.
        cut = true;
        proxy.cut();
        setTimeout(() => {
          proxy.restore();
          release.open();
        }, 200);
      }
    }
    await proxy.close();
    expect(cut).toBe(true);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    const text = events
      .filter((e) => e.type === "step.progress")
      .flatMap((e) => (e.data.parts as { text: string }[]).map((p) => p.text))
      .join("");
    expect(text).toBe("a0 a1 a2 a3 a4 b0 b1 b2 b3 b4 ");
    expect(events.at(-1)).toMatchObject({ type: "run.ended", output: "ok" });
  });

  it("imports no Node module and nothing outside src/client (it must run in a browser)", () => {
    const dir = resolve(import.meta.dirname, "../../src/client");
    for (const file of readdirSync(dir)) {
      const source = readFileSync(join(dir, file), "utf8");
      for (const m of source.matchAll(/^\s*(import|export)\s+(type\s+)?[^;]*?from\s+"([^"]+)"/gm)) {
        const spec = m[3]!;
        expect(spec, `${file} imports ${spec}`).not.toMatch(
          /^node:|^(fs|path|http|https|net|crypto|stream|os|url|events)$/,
        );
        if (m[2] === undefined)
          expect(spec, `${file} imports ${spec} at run time`).toMatch(/^\.\/[\w-]+\.js$/);
      }
      expect(source).not.toMatch(/\brequire\(|process\.|Buffer\b/);
    }
  });
});

async function waitForApprovals(cairn: CairnClient, n: number) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const list = await cairn.approvals();
    if (list.length >= n) return list;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${n} pending approvals (have ${list.length})`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
