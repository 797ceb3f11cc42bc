import { describe, expect, it } from "vitest";
import { Project } from "./project.js";

const OFFLINE = { OPENAI_API_KEY: "", ANTHROPIC_API_KEY: "", CAIRN_DEMO_MODEL: "" };

interface Approval {
  id: string;
  status: string;
  batchId: string | null;
}

/** Two demo runs, each waiting for approval of its post. */
async function twoPendingPosts(p: Project): Promise<[Approval, Approval]> {
  expect((await p.run(["demo", "gulls"], OFFLINE)).code).toBe(0);
  expect((await p.run(["demo", "kites"], OFFLINE)).code).toBe(0);
  const pending = await p.json<Approval[]>(["approvals", "ls"]);
  expect(pending).toHaveLength(2);
  return [pending[0]!, pending[1]!];
}

describe("decisions on several approvals report each outcome", () => {
  it("approve A apr_typo B: A and B are approved, only the typo fails", async () => {
    const p = new Project();
    const [a, b] = await twoPendingPosts(p);
    const r = await p.run(["approve", a.id, "apr_typo", b.id, "--as", "sam"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`approved ${a.id}`);
    expect(r.stdout).toContain(`approved ${b.id}`);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("apr_typo");
    const all = await p.json<Approval[]>(["approvals", "ls", "--all"]);
    expect(all.map((x) => x.status).sort()).toEqual(["approved", "approved"]);
  }, 60_000);

  it("--json gives each id's outcome", async () => {
    const p = new Project();
    const [a] = await twoPendingPosts(p);
    const r = await p.run(["reject", "apr_typo", a.id, "--reason", "not today", "--json"]);
    expect(r.code).toBe(1);
    const outcomes = JSON.parse(r.stdout) as { id: string; decided: boolean; error?: { message: string } }[];
    expect(outcomes.map((o) => [o.id, o.decided])).toEqual([
      ["apr_typo", false],
      [a.id, true],
    ]);
    expect(outcomes[0]!.error!.message).toContain("apr_typo");
  }, 60_000);

  it("approve A --batch B with A in B decides A once and reports no failure", async () => {
    const p = new Project();
    const [a] = await twoPendingPosts(p);
    expect(a.batchId).not.toBeNull();
    const r = await p.run(["approve", a.id, "--batch", a.batchId!]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout.match(/approved /g)).toHaveLength(1);
  }, 60_000);

  it("approvals ls shows batch ids in its table, not only in --json", async () => {
    const p = new Project();
    const [a] = await twoPendingPosts(p);
    const r = await p.run(["approvals", "ls"]);
    expect(r.stdout).toMatch(/^ID\s+STATUS\s+REQUESTED\s+RUN\s+BATCH\s+WHAT/m);
    expect(r.stdout).toContain(a.batchId!);
    expect(r.stdout).toContain("--batch BATCH");
  }, 60_000);
});

describe("the CLI says what happened", () => {
  it("runs cancel on a run already cancelled says so, instead of cancelling it again", async () => {
    const p = new Project();
    expect((await p.run(["demo", "gulls"], OFFLINE)).code).toBe(0);
    const [run] = await p.json<{ id: string }[]>(["runs", "ls"]);
    const first = await p.run(["runs", "cancel", run!.id]);
    expect(first.stdout).toContain(`run ${run!.id} cancelled`);
    const second = await p.run(["runs", "cancel", run!.id]);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain("had already ended (cancelled); nothing to cancel");
    expect(second.stdout).not.toMatch(/ cancelled$/m);
    const json = await p.json<{ changed: boolean; status: string }>(["runs", "cancel", run!.id]);
    expect(json).toEqual({ runId: run!.id, status: "cancelled", changed: false });
  }, 60_000);

  it("demo --resume on a finished run says it is finished and shows its result", async () => {
    const p = new Project();
    expect((await p.run(["demo", "gulls"], OFFLINE)).code).toBe(0);
    const [a] = await p.json<Approval[]>(["approvals", "ls"]);
    expect((await p.run(["approve", a!.id])).code).toBe(0);
    // A bounded number of worker passes until the run has completed.
    for (let i = 0; i < 5; i++) {
      expect((await p.run(["worker", "--once"])).code).toBe(0);
      const [run] = await p.json<{ status: string }[]>(["runs", "ls"]);
      if (run!.status === "completed") break;
    }
    expect((await p.json<{ status: string }[]>(["runs", "ls"]))[0]!.status, "the demo run completed").toBe(
      "completed",
    );
    const r = await p.run(["demo", "--resume"], OFFLINE);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/has already completed; nothing to resume/);
    expect(r.stdout).toMatch(/completed: Posted an image and a caption about gulls/);
    expect(r.stdout).not.toMatch(/replaying|resuming run/);
    expect(r.stdout).not.toContain("▸");
  }, 60_000);

  it("the offline demo's cost reads $0 (scripted model), never $0.000000", async () => {
    const p = new Project();
    const demo = await p.run(["demo", "gulls"], OFFLINE);
    const [a] = await p.json<Approval[]>(["approvals", "ls"]);
    await p.run(["approve", a!.id]);
    const resumed = await p.run(["demo", "--resume"], OFFLINE);
    expect(resumed.stdout).toContain("cost $0 (scripted model)");
    const [run] = await p.json<{ id: string }[]>(["runs", "ls"]);
    const shown = await p.run(["runs", "show", run!.id]);
    for (const out of [demo.stdout, resumed.stdout, shown.stdout]) expect(out).not.toContain("$0.000000");
    expect(shown.stdout).toMatch(/usage\s+\d+ tokens .* · \$0 · /);
  }, 60_000);
});
