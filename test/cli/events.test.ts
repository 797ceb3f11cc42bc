import { describe, expect, it } from "vitest";
import { countingConfig, Project } from "./project.js";

const CONFIG = countingConfig(`
import { z } from "zod";
const greet = workflow("greet", async ({ step }) => {
  const ev = await step.waitForEvent("hello", { event: "greet.hello" });
  return ev ? "got it" : "no";
});
const strict = workflow("strict", async ({ input }) => input, {
  input: z.object({ ticket: z.string() }),
  triggers: [{ event: "greet.hello" }],
});
export default defineConfig({ workflows: [greet, strict] });
`);

describe("cairn send", () => {
  it("delivers an event a triggered workflow's schema refuses, and shows the run that failed", async () => {
    const p = new Project(CONFIG);
    const run = await p.run(["run", "greet"]);
    expect(run.code).toBe(0);
    const runId = /run (run_\w+)/.exec(run.stdout)![1]!;
    const sent = await p.run(["send", "greet.hello", "--data", '{"name":"ada"}']);
    expect(sent.stderr).toBe("");
    expect(sent.code).toBe(0);
    expect(sent.stdout).toContain(`resumed: ${runId}`);
    expect(sent.stdout).toMatch(
      /failed: run_\w+ \(strict\): event "greet\.hello" \(evt_\w+\) could not start workflow "strict": [\s\S]*ticket/,
    );
    const failed = await p.json<{ workflow: string; status: string }[]>(["runs", "ls", "--status", "failed"]);
    expect(failed).toMatchObject([{ workflow: "strict", status: "failed" }]);
    await p.run(["worker", "--once"]);
    const shown = await p.json<{ run: { status: string; output: unknown } }>(["runs", "show", runId]);
    expect(shown.run).toMatchObject({ status: "completed", output: "got it" });
  }, 30_000);

  it("refuses to send an event name Cairn reserves, with exit code 2", async () => {
    const p = new Project(CONFIG);
    const forged = await p.run(["send", "approval.decided", "--data", '{"approve":true,"by":"ceo"}']);
    expect(forged.code).toBe(2);
    expect(forged.stdout).toBe("");
    expect(forged.stderr).toContain('the event name "approval.decided" is reserved');
    expect(forged.stderr).toContain("approval., run., step., cairn.");
    expect((await p.run(["send", "run.ended"])).code).toBe(2);
  }, 30_000);
});
