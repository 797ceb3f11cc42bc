import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Project } from "./project.js";

/** Config-cache decisions are logged at debug level. */
const DEBUG = { CAIRN_LOG_LEVEL: "debug" };

const CONFIG = `import { defineConfig, workflow } from "cairn-runtime/workflow";
import { greeting } from "./lib/greeting.js";
const hello = workflow("hello", async ({ step }) => step.run("greet", () => greeting()));
export default defineConfig({ workflows: [hello] });
`;

function project(greeting: string): Project {
  const p = new Project(CONFIG);
  p.write("lib/greeting.ts", `export const greeting = (): string => ${JSON.stringify(greeting)};\n`);
  return p;
}

async function hello(p: Project): Promise<{ output: unknown; stderr: string }> {
  const r = await p.run(["run", "hello", "--json"], DEBUG);
  expect(r.code, r.stderr).toBe(0);
  return { output: (JSON.parse(r.stdout) as { output: unknown }).output, stderr: r.stderr };
}

describe("the compiled config is cached", () => {
  it("an unchanged config and its imports are not compiled again", async () => {
    const p = project("hi");
    const first = await hello(p);
    expect(first.output).toBe("hi");
    expect(first.stderr).toMatch(/config .*cairn\.config\.ts: compiled into/);
    const second = await hello(p);
    expect(second.output).toBe("hi");
    expect(second.stderr).toMatch(/config .*cairn\.config\.ts: from the cache/);
    expect(second.stderr).not.toMatch(/compiled into/);
  }, 30_000);

  it("a changed local import is compiled again, and its new code runs", async () => {
    const p = project("hi");
    expect((await hello(p)).output).toBe("hi");
    p.write("lib/greeting.ts", `export const greeting = (): string => "hello again";\n`);
    const changed = await hello(p);
    expect(changed.stderr).toMatch(/compiled into/);
    expect(changed.output).toBe("hello again");
  }, 30_000);

  it("a changed config file is compiled again", async () => {
    const p = project("hi");
    await hello(p);
    p.write("cairn.config.ts", CONFIG.replace("() => greeting()", '() => greeting() + "!"'));
    const changed = await hello(p);
    expect(changed.stderr).toMatch(/compiled into/);
    expect(changed.output).toBe("hi!");
  }, 30_000);

  it("a damaged compiled file is compiled again", async () => {
    const p = project("hi");
    await hello(p);
    const dir = join(p.dir, ".cairn/cache/config");
    for (const f of readdirSync(dir).filter((n) => n.endsWith(".mjs")))
      writeFileSync(join(dir, f), "export default 42;\n");
    const again = await hello(p);
    expect(again.stderr).toMatch(/compiled into/);
    expect(again.output).toBe("hi");
  }, 30_000);

  it("import.meta.url in the config's files still names the file it is written in", async () => {
    const p = new Project(`import { readFileSync } from "node:fs";
import { defineConfig, workflow } from "cairn-runtime/workflow";
const word = readFileSync(new URL("./word.txt", import.meta.url), "utf8").trim();
const hello = workflow("hello", async ({ step }) => step.run("greet", () => word));
export default defineConfig({ workflows: [hello] });
`);
    p.write("word.txt", "pebble\n");
    expect((await hello(p)).output).toBe("pebble");
    const cached = await hello(p);
    expect(cached.stderr).toMatch(/from the cache/);
    expect(cached.output).toBe("pebble");
  }, 30_000);

  it("a failed step's stack names the files and lines the user wrote, not the compiled file", async () => {
    const p = new Project(`import { defineConfig, workflow } from "cairn-runtime/workflow";
import { boom } from "./lib/boom.js";
const fails = workflow("fails", async ({ step }) => step.run("s", () => boom(), { retries: 0 }));
export default defineConfig({ workflows: [fails] });
`);
    p.write("lib/boom.ts", `export function boom(): never {\n  throw new Error("boom from lib");\n}\n`);
    for (const round of ["compiled", "from the cache"]) {
      const r = await p.run(["run", "fails", "--json"], DEBUG);
      expect(r.stderr, round).toMatch(round === "compiled" ? /compiled into/ : /from the cache/);
      const stack = (JSON.parse(r.stdout) as { error: { stack: string } }).error.stack;
      expect(stack, round).toContain(`${join(p.dir, "lib/boom.ts")}:2:`);
      expect(stack, round).toContain(`${join(p.dir, "cairn.config.ts")}:3:`);
      expect(stack, round).not.toContain(".cairn/cache");
    }
  }, 30_000);

  it("a config only tsx can load (CommonJS __dirname) still loads, and tsx is remembered", async () => {
    const p = new Project(`import { defineConfig, workflow } from "cairn-runtime/workflow";
const here: string = __dirname;
const hello = workflow("hello", async ({ step }) => step.run("greet", () => here.length > 0));
export default defineConfig({ workflows: [hello] });
`);
    expect((await hello(p)).output).toBe(true);
    const second = await hello(p);
    expect(second.output).toBe(true);
    expect(second.stderr).toMatch(/loading with tsx/);
  }, 30_000);

  it("a cache folder that cannot be written does not stop the command", async () => {
    const p = project("hi");
    p.write(".cairn/cache", "not a folder");
    const r = await hello(p);
    expect(r.output).toBe("hi");
    expect(r.stderr).toMatch(/not cached .*loading with tsx/);
  }, 30_000);
});
