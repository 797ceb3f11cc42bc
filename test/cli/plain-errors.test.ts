import { spawn } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../helpers.js";
import type { CliResult } from "./project.js";
import { collect, Project } from "./project.js";

const BIN = resolve(import.meta.dirname, "../../dist/cli/main.js");
const OFFLINE = { OPENAI_API_KEY: "", ANTHROPIC_API_KEY: "", CAIRN_DEMO_MODEL: "" };

/** One line on stderr that says what to do, and no stack trace. */
function oneLine(r: CliResult, ...mentions: string[]): void {
  expect(r.stderr.trim().split("\n"), r.stderr).toHaveLength(1);
  expect(r.stderr).not.toMatch(/^\s+at /m);
  for (const m of mentions) expect(r.stderr).toContain(m);
}

describe("errors a person reads are one line that says what to do", () => {
  it("a store folder that cannot be created", async () => {
    const p = new Project();
    writeFileSync(join(p.dir, "a-file"), "");
    // A command that writes (one that only reads creates no store).
    const r = await p.run(["worker", "--once", "--store", `sqlite:${join(p.dir, "a-file/sub/cairn.db")}`]);
    expect(r.code).toBe(1);
    oneLine(r, "a-file/sub", "--store URL or CAIRN_STORE");
  }, 30_000);

  it("a database file this user cannot write", async () => {
    const p = new Project();
    expect((await p.run(["demo", "gulls"], OFFLINE)).code).toBe(0);
    const dir = tempDir("cairn-readonly-");
    chmodSync(dir, 0o755);
    const db = join(dir, "cairn.db");
    copyFileSync(p.store.slice("sqlite:".length), db);
    chmodSync(db, 0o444);
    // Root writes through file modes, so as root the command runs as "nobody".
    const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    const r = await collect(
      spawn(process.execPath, [BIN, "runs", "ls", "--store", `sqlite:${db}`], {
        cwd: dir,
        env: { ...process.env, NO_COLOR: "1" },
        stdio: ["ignore", "pipe", "pipe"],
        ...asNobody,
      }),
    );
    expect(r.code).toBe(1);
    oneLine(r, "readonly", "make it writable for this user");
  }, 60_000);

  for (const [key, name, code] of [
    ["\x03", "Ctrl-C", 130],
    ["\x04", "Ctrl-D", 0],
  ] as const) {
    it(`${name} at the approval prompt: the run waits, and the line says how to decide`, async () => {
      const p = new Project();
      // `script` gives the demo a real pseudo-terminal; the key arrives once it asks.
      const child = spawn("script", ["-qec", `${process.execPath} ${BIN} demo gulls`, "/dev/null"], {
        cwd: p.dir,
        env: { ...process.env, ...OFFLINE, CAIRN_STORE: p.store, NO_COLOR: "1" },
        stdio: ["pipe", "pipe", "pipe"],
      });
      let out = "";
      let sent = false;
      child.stdout.on("data", (d: Buffer) => {
        out += d.toString();
        if (out.includes("Approve?") && !sent) {
          sent = true;
          child.stdin.write(key);
        }
      });
      const exit = await new Promise<number | null>((r) => child.on("close", r));
      expect(exit, out).toBe(code);
      const lines = out.split(/\r?\n/).filter((l) => l.startsWith("cairn: "));
      expect(lines, out).toHaveLength(1);
      expect(lines[0]).toMatch(/at the approval prompt; run run_\w+ waits for a decision/);
      expect(lines[0]).toMatch(/cairn approve apr_\w+ or cairn reject apr_\w+ --reason TEXT/);
      expect(out).not.toMatch(/^\s+at /m);
      const [approval] = await p.json<{ status: string }[]>(["approvals", "ls"]);
      expect(approval?.status).toBe("pending");
    }, 60_000);
  }

  it("a config that throws is one line naming the config", async () => {
    const p = new Project(`import { defineConfig } from "cairn-runtime";
throw new RangeError("the config blew up");
export default defineConfig({});
`);
    const r = await p.run(["runs", "ls"]);
    expect(r.code).toBe(1);
    oneLine(r, "cairn.config.ts", "the config blew up");
  }, 30_000);

  for (const [thrown, shown, cache] of [
    ['"str at load"', "str at load", "on"],
    ['"str at load"', "str at load", "off"],
    ["null", "null", "on"],
    ["null", "null", "off"],
  ] as const) {
    it(`a config that throws ${thrown} (config cache ${cache}) shows what it threw`, async () => {
      const p = new Project(`throw ${thrown};\n`);
      const r = await p.run(["runs", "ls"], { CAIRN_CONFIG_CACHE: cache });
      expect(r.code).toBe(1);
      oneLine(r, "cairn.config.ts");
      expect(r.stderr.trim()).toBe(`cairn: cannot load ${join(p.dir, "cairn.config.ts")}: ${shown}`);
    }, 30_000);
  }

  it("runs export --out into a folder that does not exist names the file and what to do", async () => {
    const p = new Project(`import { defineConfig, workflow } from "cairn-runtime";
const one = workflow("one", async ({ step }) => step.run("a", () => 1));
export default defineConfig({ workflows: [one] });
`);
    const { id } = await p.json<{ id: string }>(["run", "one"]);
    const out = join(p.dir, "missing/run.json");
    const r = await p.run(["runs", "export", id, "--out", out]);
    expect(r.code).toBe(1);
    oneLine(r, `cannot write ${out}`, `${join(p.dir, "missing")} does not exist`, "--out FILE");
    expect(r.stderr).not.toContain("unexpected error");
    expect(existsSync(join(p.dir, "missing"))).toBe(false);
  }, 30_000);
});

describe("runs ls shows a run's note as readable text on one line", () => {
  it('quotes and line breaks are shown as themselves, not as \\" and \\n', async () => {
    const p = new Project(`import { defineConfig, workflow, NonRetriableError } from "cairn-runtime";
const picky = workflow("picky", async ({ step }) =>
  step.run("check", () => { throw new NonRetriableError('bad "size"\\nexpected small'); }));
export default defineConfig({ workflows: [picky] });
`);
    await p.run(["run", "picky"]);
    const r = await p.run(["runs", "ls"]);
    const row = r.stdout.split("\n").find((l) => l.includes("picky"))!;
    expect(row).toContain('bad "size" expected small');
    expect(row).not.toContain("\\");
  }, 30_000);
});
