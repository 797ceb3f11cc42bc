/**
 * A run's workspace is part of its durable state: an agent that wrote files and ran a program,
 * then waited, resumes in a new process (same machine, or another one with only the store in
 * common) with exactly the files of its committed steps; what a step that never committed left
 * in the folder is gone. Runs on SQLite and on PostgreSQL.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { agent } from "../../../src/agent/agent.js";
import type { ScriptedReply } from "../../../src/agent/scripted-model.js";
import { tool } from "../../../src/agent/tool.js";
import { decideApproval } from "../../../src/agent/tool-approval.js";
import { Engine } from "../../../src/engine/engine.js";
import { Worker } from "../../../src/engine/worker.js";
import { silentLogger } from "../../../src/shared/logger.js";
import { workspaceTools } from "../../../src/tools/workspace-tools.js";
import { workspaceStoreOf } from "../../../src/store/workspace-store-of.js";
import { harness } from "../../helpers.js";
import { call, listModel, workspaceRoot } from "../support.js";

/** A tool that waits for a person: the run holds no process until they decide. */
const pause = tool({
  description: "Waits for a person",
  input: z.object({}),
  needsApproval: true,
  execute: () => ({ resumed: true }),
});

const SCRIPT: ScriptedReply[] = [
  call("write_file", { path: "hello.py", content: "print('hi from the sandbox')\n" }),
  call("exec", { command: "python3 hello.py > out.txt && cat out.txt" }),
  call("pause", {}),
  call("exec", { command: "ls -A; cat hello.py out.txt" }),
  { text: "Done." },
];

function coder(root: string, replies: ScriptedReply[]) {
  const m = listModel(replies);
  const a = agent({
    name: "coder",
    instructions: "You write and run programs.",
    model: m.model,
    tools: { ...workspaceTools({ root }), pause },
  });
  return { agent: a, ...m };
}

describe("a run's workspace across processes", () => {
  for (const where of ["the same machine", "another machine (a fresh workspace root)"] as const) {
    it(`resumes on ${where} with exactly the files of its committed steps`, async () => {
      const rootA = workspaceRoot();
      // The first process runs the first replies; the second process the rest.
      const first = coder(rootA, SCRIPT.slice(0, 3));
      const h = await harness([first.agent.workflow]);
      const { runId } = await h.engine.start(first.agent.workflow, { message: "write and run hello.py" });
      await h.drain();
      expect((await h.journal.getRun("default", runId))?.status).toBe("waiting");
      const dirA = join(rootA, "default", runId);
      expect(readFileSync(join(dirA, "out.txt"), "utf8")).toBe("hi from the sandbox\n");
      const steps = await h.journal.loadSteps("default", runId);
      expect(steps.map((s) => s.stepId)).toEqual([
        "model",
        "tool.write_file",
        "model#2",
        "tool.exec",
        "model#3",
        "approve.pause",
      ]);
      expect((steps[3]?.output as { stdout: string }).stdout).toBe("hi from the sandbox\n");

      // What a step that never committed would leave behind: a new file, a changed one.
      writeFileSync(join(dirA, "stray.txt"), "not committed");
      writeFileSync(join(dirA, "hello.py"), "print('changed by a step that died')\n");

      // A new process: new tools (nothing remembered), the store reopened.
      const rootB = where === "the same machine" ? rootA : workspaceRoot();
      const second = coder(rootB, SCRIPT.slice(3));
      const journal = await h.reopen();
      const engine = new Engine({ journal, workflows: [second.agent.workflow], logger: silentLogger });
      const worker = new Worker(engine, { pollIntervalMs: 5 });
      const [approval] = await journal.listApprovals("default", { status: "pending" });
      await decideApproval(engine, new Map([["coder", second.agent]]), approval!.id, {
        approve: true,
        by: "ada",
      });
      await worker.drain();

      expect((await journal.getRun("default", runId))?.status).toBe("completed");
      const after = await journal.loadSteps("default", runId);
      const ls = after.find((s) => s.stepId === "tool.exec#2")!.output as {
        stdout: string;
        exitCode: number;
      };
      expect(ls.exitCode).toBe(0);
      expect(ls.stdout).toBe("hello.py\nout.txt\nprint('hi from the sandbox')\nhi from the sandbox\n");
      const dirB = join(rootB, "default", runId);
      expect(existsSync(join(dirB, "stray.txt"))).toBe(false);
    });
  }

  it("several calls in one model response take turns on the workspace, each checkpointed", async () => {
    const root = workspaceRoot();
    const first = coder(root, [
      {
        text: "",
        toolCalls: [
          { name: "write_file", args: { path: "a.txt", content: "a" } },
          { name: "exec", args: { command: "echo -n b > b.txt" } },
          { name: "write_file", args: { path: "c.txt", content: "c" } },
        ],
      },
      call("pause", {}),
    ]);
    const h = await harness([first.agent.workflow]);
    const { runId } = await h.engine.start(first.agent.workflow, { message: "three at once" });
    await h.drain();
    const second = coder(workspaceRoot(), [
      call("exec", { command: "ls -A | tr '\\n' ' '" }),
      { text: "Done." },
    ]);
    const journal = await h.reopen();
    const engine = new Engine({ journal, workflows: [second.agent.workflow], logger: silentLogger });
    const [approval] = await journal.listApprovals("default", { status: "pending" });
    await decideApproval(engine, new Map([["coder", second.agent]]), approval!.id, {
      approve: true,
      by: "ada",
    });
    await new Worker(engine, { pollIntervalMs: 5 }).drain();
    const steps = await journal.loadSteps("default", runId);
    expect(steps.find((s) => s.stepId === "tool.exec#2")?.output).toMatchObject({
      stdout: "a.txt b.txt c.txt ",
    });
  });

  it('with checkpoint "turn", each turn\'s snapshot is pinned to the turn', async () => {
    const root = workspaceRoot();
    const m = listModel([
      call("write_file", { path: "a.txt", content: "a" }),
      call("exec", { command: "echo -n b > b.txt; ls -A | tr '\\n' ' '" }),
      { text: "Done." },
    ]);
    const a = agent({
      name: "turner",
      instructions: "x",
      model: m.model,
      tools: workspaceTools({ root }),
      checkpoint: "turn",
    });
    const h = await harness([a.workflow]);
    const { runId } = await h.engine.start(a.workflow, { message: "go" });
    await h.drain();
    const steps = await h.journal.loadSteps("default", runId);
    expect(steps.map((s) => s.stepId)).toEqual(["turn", "turn#2", "turn#3"]);
    const store = workspaceStoreOf(h.journal);
    expect((await store.latestPin("default", runId, "files", "turn"))?.stepId).toBe("turn");
    expect((await store.latestPin("default", runId, "files", "turn#3"))?.stepId).toBe("turn#2");
    expect(readFileSync(join(root, "default", runId, "b.txt"), "utf8")).toBe("b");
  });
});
