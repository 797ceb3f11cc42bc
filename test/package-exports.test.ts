import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join, posix, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { tempDir } from "./helpers.js";

const ROOT = resolve(import.meta.dirname, "..");
const PKG = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  name: string;
  bin: Record<string, string>;
};

/** The npm packages a fresh process loads when it imports `specifier` (from this checkout). */
function packagesLoadedBy(specifier: string): string[] {
  const names = [
    ...modulesLoadedBy(specifier).matchAll(/^LOADED .*\/node_modules\/((?:@[^/]+\/)?[^/]+)\//gm),
  ].map((m) => m[1]!);
  return [...new Set(names)].sort();
}

/** This package's own files (under dist/) a fresh process loads when it imports `specifier`. */
function ownFilesLoadedBy(specifier: string): string[] {
  return [
    ...modulesLoadedBy(specifier).matchAll(/^LOADED file:\/\/(?!\S*node_modules)\S*?\/dist\/(\S+)$/gm),
  ].map((m) => m[1]!);
}

/** One line `LOADED <url>` per module a fresh process loads when it imports `specifier`. */
function modulesLoadedBy(specifier: string): string {
  const dir = tempDir("cairn-loads-");
  // A module hook that reports every file the process loads, as the loader sees it.
  writeFileSync(
    join(dir, "hooks.mjs"),
    `export async function load(url, context, next) {
  if (url.startsWith("file:")) process.stderr.write("LOADED " + url + "\\n");
  return next(url, context);
}`,
  );
  writeFileSync(
    join(dir, "register.mjs"),
    `import { register } from "node:module"; register(${JSON.stringify(pathToFileURL(join(dir, "hooks.mjs")).href)});`,
  );
  const child = spawnSync(
    process.execPath,
    [
      "--import",
      join(dir, "register.mjs"),
      "--input-type=module",
      "-e",
      `await import(${JSON.stringify(specifier)});`,
    ],
    { cwd: ROOT, encoding: "utf8" },
  );
  expect(child.status, child.stderr).toBe(0);
  return child.stderr;
}

const AI_SDK = [
  "ai",
  "@ai-sdk/openai",
  "@ai-sdk/anthropic",
  "@ai-sdk/openai-compatible",
  "@ai-sdk/provider-utils",
];

describe("the published package", () => {
  it("is published as cairn-runtime (the npm name `cairn` is another project's); the command stays `cairn`", () => {
    expect(PKG.name).toBe("cairn-runtime");
    expect(Object.keys(PKG.bin)).toEqual(["cairn"]);
  });

  it("resolves `cairn-runtime` to the built entry point with the public names DESIGN.md fixes", async () => {
    // Self-reference through package.json "exports", as a user's `import … from "cairn-runtime"` does.
    const cairn = (await import("cairn-runtime")) as Record<string, unknown>;
    for (const name of [
      "defineConfig",
      "workflow",
      "agent",
      "tool",
      "NonRetriableError",
      "RetryAfterError",
      "CairnError",
      "Engine",
      "Worker",
      "openJournal",
      "SqliteJournal",
      "PostgresJournal",
      "ManualClock",
      "sendToAgent",
      "decideApproval",
      "scriptedModel",
      "approvalWebhook",
      "loadAgentProfile",
      "resolveModel",
    ]) {
      expect(typeof cairn[name], name).toBe("function");
    }
  });

  it("loads only the SQLite driver on import: the AI SDK, providers, zod, yaml and pg load when used", () => {
    const loaded = packagesLoadedBy("cairn-runtime");
    for (const name of AI_SDK) expect(loaded, name).not.toContain(name);
    expect(loaded).toEqual(["better-sqlite3"]);
  });

  it("cairn-runtime/workflow: workflows without the agent layer, loading only the SQLite driver", async () => {
    const wf = (await import("cairn-runtime/workflow")) as Record<string, unknown>;
    for (const name of [
      "defineConfig",
      "workflow",
      "Engine",
      "Worker",
      "openJournal",
      "openJournalAsync",
      "NonRetriableError",
      "ManualClock",
    ])
      expect(typeof wf[name], name).toBe("function");
    expect(wf.agent).toBeUndefined();
    expect(packagesLoadedBy("cairn-runtime/workflow")).toEqual(["better-sqlite3"]);
    // Nor the agent layer's or the tools' own modules: every file loaded costs a workflow's start.
    const own = ownFilesLoadedBy("cairn-runtime/workflow");
    expect(own).toContain("workflow.js");
    expect(own.filter((f) => /^(agent|tools|server)\//.test(f))).toEqual([]);
  });

  it("cairn-runtime/testing: the test kit, loading only the SQLite driver, and never loaded by the main entry", async () => {
    const testing = (await import("cairn-runtime/testing")) as Record<string, unknown>;
    for (const name of ["createTestEnv", "TestEnv", "TestRun"])
      expect(typeof testing[name], name).toBe("function");
    const main = ownFilesLoadedBy("cairn-runtime");
    expect(main.length).toBeGreaterThan(0);
    expect(main.filter((f) => f.startsWith("testing/"))).toEqual([]);
    expect(ownFilesLoadedBy("cairn-runtime/testing")).toContain("testing/index.js");
    // Cheap to import too: providers, the AI SDK and pg load only when a test uses them.
    expect(packagesLoadedBy("cairn-runtime/testing")).toEqual(["better-sqlite3"]);
  });

  it("ships the sources its source maps name, so a stack taken with --enable-source-maps points at real files", () => {
    const pack = spawnSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], {
      cwd: ROOT,
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(pack.status, `npm pack --dry-run: ${pack.stderr}`).toBe(0);
    const files = new Set(
      (JSON.parse(pack.stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path),
    );
    const maps = [...files].filter((f) => f.endsWith(".js.map"));
    expect(maps).toContain("dist/index.js.map");
    const missing = maps.flatMap((map) => {
      const { sources, sourceRoot = "" } = JSON.parse(readFileSync(join(ROOT, map), "utf8")) as {
        sources: string[];
        sourceRoot?: string;
      };
      return sources
        .map((source) => posix.normalize(posix.join(posix.dirname(map), sourceRoot, source)))
        .filter((source) => !files.has(source));
    });
    expect(missing, "sources named by the package's maps but not in it").toEqual([]);
  });

  it("is built from src/ alone: a bare `tsc` only type-checks, so tests and benchmarks never land in dist/", () => {
    const config = (project: string) => {
      const shown = spawnSync(
        process.execPath,
        ["node_modules/typescript/bin/tsc", "-p", project, "--showConfig"],
        { cwd: ROOT, encoding: "utf8", timeout: 60_000 },
      );
      expect(shown.status, `tsc -p ${project} --showConfig: ${shown.stderr}`).toBe(0);
      return (JSON.parse(shown.stdout) as { compilerOptions: { noEmit?: boolean; rootDir?: string } })
        .compilerOptions;
    };
    expect(config("tsconfig.json").noEmit, "tsconfig.json (src, test, bench…) emits nothing").toBe(true);
    const build = config("tsconfig.build.json");
    expect(build.noEmit).toBe(false);
    expect(build.rootDir).toBe("./src");
  });
});
