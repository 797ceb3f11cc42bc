/**
 * A rerun from a step over HTTP starts from the run's workspace as it was before that step: the
 * files the reused steps wrote are there, those of later steps are not, and the original run's
 * files stay as they were. Runs on SQLite and on PostgreSQL.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { workspaceStoreOf } from "../../src/store/workspace-store-of.js";
import { restoreWorkspace } from "../../src/tools/workspace/restore-workspace.js";
import { workspaceTools } from "../../src/tools/workspace-tools.js";
import { tempDir } from "../helpers.js";
import { callsWorkflow, workspaceRoot } from "../tools/support.js";
import { serverHarness } from "./support.js";

/** Every file directly in `dir` with its text (a workspace these tests write has no folders). */
function filesOf(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir).sort()) out[name] = readFileSync(join(dir, name), "utf8");
  return out;
}

/** Write notes.txt, write `second`, (optionally) change notes.txt, then list and read back. */
function calls(second: string, change: boolean) {
  return [
    { tool: "write_file", args: { path: "notes.txt", content: "first" } },
    { tool: "write_file", args: { path: second, content: "second" } },
    ...(change ? [{ tool: "write_file", args: { path: "notes.txt", content: "changed" } }] : []),
    { tool: "list_files", args: {} },
    { tool: "read_file", args: { path: "notes.txt" } },
  ];
}

interface Result {
  ok?: { entries?: { path: string }[]; content?: string };
  error?: string;
}

/** What the run's listing and read of notes.txt gave back. */
function seen(output: Result[]): { listed: string[] | undefined; notes: string | undefined } {
  const listing = output.at(-2);
  const read = output.at(-1);
  return {
    listed: listing?.ok?.entries?.map((e) => e.path),
    notes: read?.ok?.content ?? read?.error,
  };
}

describe("a fork over HTTP and the run's workspace", () => {
  it("starts from the files as of the step before the fork step; the original's stay as they were", async () => {
    const root = workspaceRoot();
    const wf = callsWorkflow(workspaceTools({ root, exec: false }));
    const s = await serverHarness([wf]);
    const k = await s.key(["read", "run"]);
    const started = await s.call("POST", "/v1/runs", {
      key: k,
      body: { workflow: "calls", input: calls("later.txt", true) },
    });
    expect(started.status).toBe(202);
    const id = started.body.run.id as string;
    await s.drain();
    const original = await s.call("GET", `/v1/runs/${id}`, { key: k });
    expect(original.body.run.status).toBe("completed");
    expect(seen(original.body.run.output as Result[])).toEqual({
      listed: ["/workspace/later.txt", "/workspace/notes.txt"],
      notes: "changed",
    });

    // Rerun from the second write with another input: the first write is reused, not run again.
    const fork = await s.call("POST", `/v1/runs/${id}/fork`, {
      key: k,
      body: { from: "tool.write_file#2", input: calls("other.txt", false) },
    });
    expect(fork.status).toBe(201);
    const forkId = fork.body.run.id as string;
    await s.drain();
    const forked = await s.call("GET", `/v1/runs/${forkId}`, { key: k });
    expect(forked.body.run.status).toBe("completed");
    // notes.txt as the reused step left it; later.txt (and the later change) never happened here.
    expect(seen(forked.body.run.output as Result[])).toEqual({
      listed: ["/workspace/notes.txt", "/workspace/other.txt"],
      notes: "first",
    });
    expect(filesOf(join(root, "default", forkId))).toEqual({ "notes.txt": "first", "other.txt": "second" });

    // The original's folder and its history are untouched.
    const originalFiles = { "later.txt": "second", "notes.txt": "changed" };
    expect(filesOf(join(root, "default", id))).toEqual(originalFiles);
    const restored = join(tempDir(), "original");
    await restoreWorkspace(s.journal, "default", id, "tool.read_file", restored);
    expect(filesOf(restored)).toEqual(originalFiles);

    // The fork step's result replaced: it is not executed, so what it wrote is not there either.
    const replaced = await s.call("POST", `/v1/runs/${id}/fork`, {
      key: k,
      body: {
        from: "tool.write_file#3",
        stepOutputs: { "tool.write_file#3": { path: "/workspace/notes.txt", bytes: 7 } },
      },
    });
    expect(replaced.status).toBe(201);
    await s.drain();
    const skipped = await s.call("GET", `/v1/runs/${replaced.body.run.id as string}`, { key: k });
    expect(seen(skipped.body.run.output as Result[])).toEqual({
      listed: ["/workspace/later.txt", "/workspace/notes.txt"],
      notes: "first",
    });

    // A fork from the first step starts from an empty workspace.
    const fromStart = await s.call("POST", `/v1/runs/${id}/fork`, {
      key: k,
      body: { from: "tool.write_file", input: [{ tool: "list_files", args: {} }] },
    });
    expect(fromStart.status).toBe(201);
    await s.drain();
    const empty = await s.call("GET", `/v1/runs/${fromStart.body.run.id as string}`, { key: k });
    expect(empty.body.run.output).toEqual([{ ok: { entries: [] } }]);

    // A fork refused after its workspace was restored (an output for a later step) leaves no
    // snapshot records behind: none point at a run that does not exist.
    const refused = await s.call("POST", `/v1/runs/${id}/fork`, {
      key: k,
      body: { from: "tool.write_file#2", stepOutputs: { "tool.read_file": "not yet" } },
    });
    expect(refused.status).toBe(400);
    expect(await workspaceStoreOf(s.journal).prunePins("default", {})).toBe(0);

    // An unknown step is refused as before, naming the run's steps; nothing is created.
    const unknown = await s.call("POST", `/v1/runs/${id}/fork`, { key: k, body: { from: "tool.nope" } });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.message).toContain("tool.write_file#2");
    expect(existsSync(join(root, "default", id))).toBe(true);
  });
});
