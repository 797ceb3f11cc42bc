import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { collect, Project } from "./project.js";

const OFFLINE = { OPENAI_API_KEY: "", ANTHROPIC_API_KEY: "", CAIRN_DEMO_MODEL: "" };

interface Approval {
  id: string;
  status: string;
  request: { tool: string; args: { caption: string; image: string } };
}

function outbox(p: Project): string[] {
  try {
    return readdirSync(join(p.dir, ".cairn/demo/outbox"));
  } catch {
    return [];
  }
}

describe("approvals from the CLI", () => {
  it("the demo stops at the post; approvals ls shows caption and image; approve + worker posts exactly once", async () => {
    const p = new Project();
    const demo = await p.run(["demo", "lighthouses"], OFFLINE);
    expect(demo.code).toBe(0);
    expect(demo.stdout).toContain("waiting for approval");
    expect(demo.stdout).toMatch(/approve: cairn approve apr_\w+/);
    expect(outbox(p)).toEqual([]);
    const [a] = await p.json<Approval[]>(["approvals", "ls"]);
    expect(a?.request.tool).toBe("post");
    expect(a?.request.args.caption).toContain("Lighthouses");
    expect(readFileSync(a!.request.args.image, "utf8")).toMatch(/^<svg/);
    expect((await p.run(["approve", a!.id, "--as", "sam"])).code).toBe(0);
    const again = await p.run(["approve", a!.id]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("already approved by sam");
    await p.run(["worker", "--once"]);
    await p.run(["worker", "--once"]);
    expect(outbox(p)).toHaveLength(1);
    expect(await p.json<Approval[]>(["approvals", "ls"])).toEqual([]);
  }, 60_000);

  it("a rejection makes the agent revise and ask again", async () => {
    const p = new Project();
    await p.run(["demo", "kites"], OFFLINE);
    const [first] = await p.json<Approval[]>(["approvals", "ls"]);
    const missingReason = await p.run(["reject", first!.id]);
    expect(missingReason.code).toBe(2);
    expect(missingReason.stderr).toContain("needs --reason");
    await p.run(["reject", first!.id, "--reason", "shorter please"]);
    const worker = await p.run(["worker", "--once"]);
    expect(worker.stdout).toContain('Understood: "shorter please"');
    const [second] = await p.json<Approval[]>(["approvals", "ls"]);
    expect(second!.id).not.toBe(first!.id);
    expect(second!.request.args.caption).not.toBe(first!.request.args.caption);
    const bad = await p.run(["approve", second!.id, "--args", '{"caption":""}']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("the edited arguments for post are not valid");
    await p.run([
      "approve",
      second!.id,
      "--args",
      JSON.stringify({ caption: "Kites, edited by a person.", image: second!.request.args.image }),
    ]);
    await p.run(["worker", "--once"]);
    const [posted] = outbox(p);
    expect(JSON.parse(readFileSync(join(p.dir, ".cairn/demo/outbox", posted!), "utf8"))).toMatchObject({
      caption: "Kites, edited by a person.",
    });
  }, 60_000);

  it("at a terminal, the demo asks and posts after a yes", async () => {
    const p = new Project();
    const bin = resolve(import.meta.dirname, "../../dist/cli/main.js");
    // `script` gives the demo a real pseudo-terminal; the answer arrives once it asks.
    const child = spawn("script", ["-qec", `${process.execPath} ${bin} demo gulls`, "/dev/null"], {
      cwd: p.dir,
      env: { ...process.env, ...OFFLINE, CAIRN_STORE: p.store, CAIRN_USER: "ana" },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("Approve?") && !out.includes("approved")) child.stdin.write("y\n");
    });
    const { code } = await collect(child, "cairn demo answering its approval prompt");
    expect(code).toBe(0);
    expect(out).toContain("demo.poster wants to call post");
    expect(out).toContain("completed");
    expect(outbox(p)).toHaveLength(1);
    const [decided] = await p.json<{ decidedBy: string; status: string }[]>(["approvals", "ls", "--all"]);
    expect(decided).toMatchObject({ status: "approved", decidedBy: "ana" });
  }, 60_000);
});
