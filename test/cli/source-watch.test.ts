import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/cli/load-config.js";
import { SourceWatch } from "../../src/cli/source-watch.js";
import { onCleanup, until } from "../helpers.js";
import { Project } from "./project.js";

/** A config in app/ that imports its workflows from ../shared/, as in a monorepo. */
function monorepo(): { p: Project; config: string } {
  const p = new Project();
  p.write("shared/flows.ts", flows("first"));
  p.write(
    "app/cairn.config.ts",
    `import { defineConfig } from "cairn-runtime";\nimport { flows } from "../shared/flows.ts";\n` +
      `export default defineConfig({ workflows: flows });\n`,
  );
  return { p, config: join(p.dir, "app/cairn.config.ts") };
}

function flows(...names: string[]): string {
  const list = names.map((n) => `workflow("${n}", async ({ step }) => step.run("a", () => "${n}"))`);
  return `import { workflow } from "cairn-runtime";\nexport const flows = [${list.join(", ")}];\n`;
}

function watch(config: string): { calls: () => number; watch: SourceWatch } {
  let calls = 0;
  const w = new SourceWatch(config, () => calls++);
  onCleanup(() => w.close());
  return { calls: () => calls, watch: w };
}

/** Saves as many editors do: writes a new file beside it, then renames it over the old one. */
function saveByRename(p: Project, relative: string, text: string): void {
  const path = join(p.dir, relative);
  writeFileSync(`${path}.swp`, text);
  renameSync(`${path}.swp`, path);
}

describe("cairn dev's source watch", () => {
  it("hears every save an editor makes by renaming a new file over the old, in any folder", async () => {
    const p = new Project(flows("first"));
    p.write("flows/more.ts", flows("second"));
    const config = join(p.dir, "cairn.config.ts");
    const w = watch(config);
    // Node's recursive watch on Linux heard the first of these and none after it.
    for (let i = 1; i <= 3; i++) {
      saveByRename(p, "cairn.config.ts", flows(`v${i}`));
      await until(`the watch to report save ${i} of cairn.config.ts`, () => w.calls() === i, 20_000);
    }
    saveByRename(p, "flows/more.ts", flows("third"));
    await until("the watch to report the save in flows/", () => w.calls() === 4, 20_000);
    saveByRename(p, "flows/more.ts", flows("fourth"));
    await until("the watch to report the second save in flows/", () => w.calls() === 5, 20_000);
    // A folder moved in, with a source in it, is reported, and watched from then on.
    const outside = `${p.dir}-moved-in`;
    mkdirSync(outside);
    writeFileSync(join(outside, "flows.ts"), flows("fifth"));
    renameSync(outside, join(p.dir, "later"));
    await until("the watch to report the folder moved in with a source", () => w.calls() === 6, 20_000);
    saveByRename(p, "later/flows.ts", flows("sixth"));
    await until("the watch to report a save in the folder moved in", () => w.calls() === 7, 20_000);
    // Not the store, dependencies or builds.
    p.write(".cairn/x.ts", "");
    p.write("dist/x.ts", "");
    await new Promise((r) => setTimeout(r, 500));
    expect(w.calls()).toBe(7);
  }, 60_000);

  it("hears a change to a file the config imports from outside its folder", async () => {
    const { p, config } = monorepo();
    await loadConfig(config);
    const w = watch(config);
    p.write("shared/flows.ts", flows("first", "second"));
    await until("the watch to report the changed shared file", () => w.calls() === 1, 20_000);
  }, 30_000);

  it("reports a file changed after the config was loaded but before the watch began", async () => {
    const { p, config } = monorepo();
    await loadConfig(config);
    // Saved in the gap between loading and watching: no watch could hear it.
    p.write("shared/flows.ts", flows("first", "second"));
    const w = watch(config);
    await until("the watch to report the file saved before it began", () => w.calls() === 1, 20_000);
    // Not reloaded yet (the cache still records the old file): the same state is not reported twice.
    w.watch.refresh();
    await new Promise((r) => setTimeout(r, 500));
    expect(w.calls()).toBe(1);
    // A reload compiles it again; after it nothing more is pending.
    expect((await loadConfig(config)).workflows?.map((f) => f.id)).toEqual(["first", "second"]);
    w.watch.refresh();
    await new Promise((r) => setTimeout(r, 500));
    expect(w.calls()).toBe(1);
  }, 30_000);
});
