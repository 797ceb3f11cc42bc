/**
 * The demo's successor, end to end with real processes: an agent declared as a profile, with
 * `exec`, the file tools and a skill, talks to the fake model server through the real provider.
 * It loads a skill, writes a small program, runs it in the sandbox (no network: it cannot reach
 * even the model server on this machine), and is SIGKILLed inside its next command, after that
 * command wrote a file. `cairn worker --once` in a new process resumes it: the unfinished step
 * runs again on the workspace as of the last committed step (the killed step's file is gone),
 * and the run finishes. The files as of an earlier step can still be restored (a rerun from it).
 */
import { chmodSync, existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SqliteJournal } from "../../src/store/sqlite/sqlite-journal.js";
import { restoreWorkspace } from "../../src/tools/workspace/restore-workspace.js";
import { AgentProject, runIdFrom, watch } from "../agent/crash/support.js";
import type { FakeModelServer } from "../support/fake-model-server.js";
import { startFakeModelServer } from "../support/fake-model-server.js";
import { tempDir } from "../helpers.js";

const CONFIG = `import { defineConfig } from "cairn-runtime";
export default defineConfig({ profiles: ["agents/coder.yaml"] });
`;

const PROFILE = `name: coder
instructions: You write small programs and run them.
model: openai-chat:gpt-4.1-mini
tools: [exec, files, skills]
workspace:
  skills: skills
  exec:
    limits: { wallSeconds: 60, cpuSeconds: 20 }
`;

const SKILL = `---
name: python-scripts
description: How to write and run Python scripts here
---
Put scripts under app/, run them with python3, save their output next to them.
`;

let server: FakeModelServer;
beforeEach(async () => {
  server = await startFakeModelServer();
});
afterEach(async () => {
  await server.close();
});

describe("an agent with a sandboxed workspace, killed with SIGKILL", () => {
  it("resumes in a new process with its files as of its last committed step and finishes", async () => {
    const p = new AgentProject(server, CONFIG);
    const dir = p.project.dir;
    chmodSync(dir, 0o755); // the sandbox (nobody, when the tests run as root) must reach the workspaces
    p.project.write("agents/coder.yaml", PROFILE);
    p.project.write("skills/python-scripts/SKILL.md", SKILL);
    const program =
      "import socket\nprint('hello from the sandbox')\n" +
      "try:\n" +
      `    socket.create_connection(('127.0.0.1', ${new URL(server.url).port}), timeout=3)\n` +
      "    print('network: reached the model server')\n" +
      "except OSError as e:\n" +
      "    print('network: none (' + type(e).__name__ + ')')\n";
    server.script([
      { toolCalls: [{ name: "load_skill", args: { name: "python-scripts" } }] },
      { toolCalls: [{ name: "write_file", args: { path: "app/main.py", content: program } }] },
      {
        toolCalls: [
          { name: "exec", args: { command: "python3 app/main.py > app/out.txt; cat app/out.txt" } },
        ],
      },
      // Lists the folder first (what a resumed attempt finds), then writes a file and takes its time.
      { toolCalls: [{ name: "exec", args: { command: "ls -A; echo partial > partial.txt; sleep 4" } }] },
      { text: "The program ran; it has no network." },
    ]);
    const child = p.spawn(["run", "coder", "Write and run a hello program"]);
    const out = watch(child);
    // Killed once the fourth call's command has written its file, before the call commits.
    const runDir = () => {
      const base = join(dir, ".cairn/workspaces/default");
      const runs = existsSync(base) ? readdirSync(base) : [];
      return runs.length === 1 ? join(base, runs[0]!) : undefined;
    };
    const deadline = Date.now() + 30_000;
    while (!(runDir() && existsSync(join(runDir()!, "partial.txt")))) {
      if (Date.now() > deadline)
        throw new Error(`no partial.txt in the run's workspace after 30 s:\n${out.stdout()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill("SIGKILL");
    const killed = await out.exited;
    expect(killed.signal).toBe("SIGKILL");
    const runId = runIdFrom(killed.stdout);
    expect(server.requests).toHaveLength(4);

    const worker = await p.run(["worker", "--once"]);
    expect(worker.code, worker.stderr).toBe(0);
    const shown = await p.show(runId);
    expect(shown.run.status).toBe("completed");
    expect(shown.run.output?.text).toBe("The program ran; it has no network.");
    const steps = shown.steps as unknown as {
      stepId: string;
      status: string;
      attempt: number;
      output: unknown;
    }[];
    expect(steps.map((s) => s.stepId)).toEqual([
      "tools.prepare",
      "model",
      "tool.load_skill",
      "model#2",
      "tool.write_file",
      "model#3",
      "tool.exec",
      "model#4",
      "tool.exec#2",
      "model#5",
    ]);
    const byId = Object.fromEntries(steps.map((s) => [s.stepId, s.output])) as Record<
      string,
      { stdout?: string; instructions?: string }
    >;
    expect(byId["tool.load_skill"]?.instructions).toContain("Put scripts under app/");
    expect(byId["tool.exec"]?.stdout).toBe(
      "hello from the sandbox\nnetwork: none (ConnectionRefusedError)\n",
    );
    // The killed attempt's partial.txt is gone: the step ran again on the committed files.
    expect(byId["tool.exec#2"]?.stdout).toBe("app\n");
    expect(readdirSync(runDir()!).sort()).toEqual(["app", "partial.txt"]);
    // Only model requests reached the server: the program's connection never did.
    expect(server.requests).toHaveLength(5);

    // A rerun from the file-writing step starts from the files as they were then.
    const journal = new SqliteJournal({ path: join(dir, "cairn.db") });
    try {
      const earlier = join(tempDir(), "as-of-write");
      await restoreWorkspace(journal, "default", runId, "tool.write_file", earlier);
      expect(readdirSync(join(earlier, "app"))).toEqual(["main.py"]);
      expect(readFileSync(join(earlier, "app/main.py"), "utf8")).toBe(program);
    } finally {
      await journal.close();
    }
  }, 90_000);
});
