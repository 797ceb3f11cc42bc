/**
 * The file tools act inside the run's workspace only: a path that climbs out, an absolute path,
 * a symlink or a hard link that leads outside is refused with an error that says why, and
 * nothing outside is read or changed.
 */
import { existsSync, linkSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { workspaceTools } from "../../src/tools/workspace-tools.js";
import { harness } from "../helpers.js";
import type { CallResult } from "./support.js";
import { callsWorkflow, reachableDir, workspaceRoot } from "./support.js";

async function runCalls(
  calls: { tool: string; args?: unknown }[],
  plants: Record<string, (runId: string) => void> = {},
  root = workspaceRoot(),
): Promise<{ results: CallResult[]; dir: string }> {
  const tools = workspaceTools({ root });
  const wf = callsWorkflow(tools, plants);
  const h = await harness([wf]);
  const { runId } = await h.engine.start(wf, calls);
  await h.drain();
  const run = await h.journal.getRun("default", runId);
  expect(run?.status, JSON.stringify(run?.error)).toBe("completed");
  return { results: run!.output as CallResult[], dir: join(root, "default", runId) };
}

describe("the file tools", () => {
  it("write, read, edit, list and search files of the workspace, by relative path or under /workspace", async () => {
    const { results } = await runCalls([
      { tool: "write_file", args: { path: "src/main.py", content: "x = 1\ny = 2\nprint(x + y)\n" } },
      { tool: "edit_file", args: { path: "/workspace/src/main.py", old_text: "y = 2", new_text: "y = 40" } },
      { tool: "read_file", args: { path: "src/main.py", offset: 2, limit: 1 } },
      { tool: "list_files", args: {} },
      { tool: "search_files", args: { query: "print(" } },
      { tool: "search_files", args: { query: "^[xy] = [0-9]+$", regex: true, glob: "*.py" } },
      { tool: "edit_file", args: { path: "src/main.py", old_text: "z = 3", new_text: "" } },
      { tool: "exec", args: { command: "python3 src/main.py" } },
    ]);
    expect(results[2]).toEqual({
      ok: { path: "/workspace/src/main.py", content: "y = 40", lines: 4, bytes: 26 },
    });
    expect(results[3]).toEqual({
      ok: {
        entries: [
          { path: "/workspace/src", type: "dir", size: 0 },
          { path: "/workspace/src/main.py", type: "file", size: 26 },
        ],
      },
    });
    expect(results[4]).toEqual({
      ok: { matches: [{ path: "/workspace/src/main.py", line: 3, text: "print(x + y)" }] },
    });
    expect(results[5]).toEqual({
      ok: {
        matches: [
          { path: "/workspace/src/main.py", line: 1, text: "x = 1" },
          { path: "/workspace/src/main.py", line: 2, text: "y = 40" },
        ],
      },
    });
    expect(results[6]?.error).toMatch(/old_text was not found in \/workspace\/src\/main.py/);
    expect((results[7]?.ok as { stdout: string }).stdout).toBe("41\n");
  });

  it("refuse paths that climb out of the workspace or are absolute elsewhere, and touch nothing outside", async () => {
    const outside = reachableDir("cairn-outside-");
    const { results } = await runCalls([
      { tool: "write_file", args: { path: "../../escaped.txt", content: "x" } },
      { tool: "write_file", args: { path: "a/../../b/../../escaped.txt", content: "x" } },
      { tool: "write_file", args: { path: join(outside, "escaped.txt"), content: "x" } },
      { tool: "read_file", args: { path: "/etc/passwd" } },
      { tool: "read_file", args: { path: "/workspace/../etc/passwd" } },
      { tool: "list_files", args: { path: ".." } },
      { tool: "write_file", args: { path: "/skills/x/SKILL.md", content: "x" } },
    ]);
    expect(results.map((r) => r.code)).toEqual(Array(7).fill("CAIRN_OUTSIDE_WORKSPACE"));
    expect(results[0]?.error).toBe('../../escaped.txt leads outside the workspace (through "..")');
    expect(results[2]?.error).toContain("is outside the workspace: use a path relative to /workspace");
    expect(results[4]?.error).toContain("/workspace/../etc/passwd is outside the workspace");
    expect(results[6]?.error).toBe("/skills/x/SKILL.md: this run has no skills");
    expect(existsSync(join(outside, "escaped.txt"))).toBe(false);
  });

  it("refuse a symlink the sandbox made that points outside, and follow one that stays inside", async () => {
    const outside = reachableDir("cairn-outside-");
    writeFileSync(join(outside, "secret.txt"), "host secret");
    const { results } = await runCalls([
      {
        tool: "exec",
        args: { command: `ln -s ${outside} out && ln -s /etc etc && mkdir in && ln -s in inner` },
      },
      { tool: "read_file", args: { path: "out/secret.txt" } },
      { tool: "write_file", args: { path: "out/new.txt", content: "x" } },
      { tool: "read_file", args: { path: "etc/passwd" } },
      { tool: "edit_file", args: { path: "out/secret.txt", old_text: "host", new_text: "pwned" } },
      { tool: "write_file", args: { path: "inner/ok.txt", content: "fine" } },
      { tool: "read_file", args: { path: "in/ok.txt" } },
      { tool: "list_files", args: {} },
    ]);
    for (const i of [1, 2, 3, 4]) {
      expect(results[i]?.code).toBe("CAIRN_OUTSIDE_WORKSPACE");
      expect(results[i]?.error).toMatch(
        /^(out|etc)\/\S+ leads outside the workspace: \/workspace\/(out|etc) is a symlink to a place outside it$/,
      );
    }
    expect(readFileSync(join(outside, "secret.txt"), "utf8")).toBe("host secret");
    expect(existsSync(join(outside, "new.txt"))).toBe(false);
    expect((results[6]?.ok as { content: string }).content).toBe("fine");
    // Listed as links, never followed.
    const entries = (results[7]?.ok as { entries: { path: string; type: string }[] }).entries;
    expect(entries.filter((e) => e.type === "link").map((e) => e.path)).toEqual([
      "/workspace/etc",
      "/workspace/inner",
      "/workspace/out",
    ]);
  });

  it("refuse a hard link to a file outside (its other name may be anywhere)", async () => {
    const outside = reachableDir("cairn-outside-");
    const secret = join(outside, "secret.txt");
    writeFileSync(secret, "host secret");
    const root = workspaceRoot();
    const { results } = await runCalls(
      [
        { tool: "write_file", args: { path: "notes.txt", content: "mine" } },
        // Something outside the tools links a host file into the folder between two calls.
        { tool: "hardlink" },
        { tool: "read_file", args: { path: "linked.txt" } },
        { tool: "edit_file", args: { path: "linked.txt", old_text: "host", new_text: "pwned" } },
      ],
      { hardlink: (runId) => linkSync(secret, join(root, "default", runId, "linked.txt")) },
      root,
    );
    for (const i of [1, 2]) {
      expect(results[i]?.code).toBe("CAIRN_OUTSIDE_WORKSPACE");
      expect(results[i]?.error).toBe(
        "linked.txt is a hard link (the file has 2 names, which may be outside the workspace); copy it instead",
      );
    }
    expect(readFileSync(secret, "utf8")).toBe("host secret");
  });
});
