import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { inspect } from "node:util";
import { validateConfig } from "./define-config.js";
import type { CairnConfig } from "./define-config.js";
import { ConfigError } from "../shared/errors.js";
import { mapStacksOf } from "../shared/stack-sources.js";
import { ConfigCache } from "./config-cache.js";

const CANDIDATES = ["cairn.config.ts", "cairn.config.mts", "cairn.config.js", "cairn.config.mjs"];

/** Finds the config: `--config PATH`, else `cairn.config.{ts,mts,js,mjs}` in `cwd`. */
export function findConfig(cwd: string, explicit?: string): string | undefined {
  if (explicit !== undefined) {
    const path = resolve(cwd, explicit);
    if (!existsSync(path)) throw new ConfigError(`--config ${explicit}: no such file (looked at ${path})`);
    return path;
  }
  for (const name of CANDIDATES) {
    const path = resolve(cwd, name);
    if (existsSync(path)) return path;
  }
  return undefined;
}

/**
 * Loads a TypeScript or JavaScript config without a build step. The compiled config is cached
 * (see ConfigCache), so an unchanged config costs one import; CAIRN_CONFIG_CACHE=off turns the
 * cache off.
 */
export async function loadConfig(path: string): Promise<CairnConfig> {
  let mod: { default?: unknown };
  try {
    mod = (await importConfig(path)) as { default?: unknown };
  } catch (cause) {
    // Node's "Require stack" lists tsx's internal file names: noise to a person.
    const message = messageOf(cause).replace(/\nRequire stack:[\s\S]*$/, "");
    // Cairn was once published as `cairn`, a name that belongs to another npm project.
    const oldName = /Cannot find (?:package|module) 'cairn'/.test(message)
      ? `; Cairn is published as cairn-runtime: import from "cairn-runtime" (npm install cairn-runtime)`
      : "";
    throw new ConfigError(`cannot load ${path}: ${message}${oldName}`, { cause });
  }
  // A config in a CommonJS package comes back wrapped once more by the interop.
  let exported = mod.default as { __esModule?: boolean; default?: unknown } | undefined;
  if (exported?.__esModule === true) exported = exported.default as typeof exported;
  if (exported === undefined) {
    throw new ConfigError(
      `${path} has no default export; end it with: export default defineConfig({ workflows: [...] })`,
    );
  }
  return validateConfig(exported, path);
}

/**
 * The config module: from the cache when its files are unchanged; else compiled (esbuild) and
 * cached; tsx when compiling or caching is not possible, or when the compiled form fails to load
 * where tsx succeeds (then remembered for this config as it is).
 */
async function importConfig(path: string): Promise<unknown> {
  if (process.env.CAIRN_CONFIG_CACHE === "off") return importWithTsx(path);
  const cache = new ConfigCache(path, cairnVersion());
  const entry = cache.lookup();
  if (entry?.mode === "tsx") {
    debug(`config ${path}: loading with tsx (its compiled form did not load before)`);
    return importWithTsx(path);
  }
  let output = entry?.output ?? undefined;
  let sources = entry?.sources ?? [];
  if (output === undefined) {
    try {
      const { compileConfig } = await import("./compile-config.js");
      const compiled = await compileConfig(path);
      sources = compiled.sources;
      output = cache.store(compiled.code, compiled.sources);
      debug(`config ${path}: compiled into ${output}`);
    } catch (err) {
      debug(`config ${path}: not cached (${messageOf(err).split("\n")[0]}); loading with tsx`);
      return importWithTsx(path);
    }
  } else debug(`config ${path}: from the cache (${output})`);
  try {
    const url = pathToFileURL(output).href;
    // A failed step's stack, stored with its run, names the user's own files and lines (as it
    // did when tsx loaded the config), not the compiled file.
    mapStacksOf(url, readFileSync(output, "utf8"));
    return await import(url);
  } catch (err) {
    debug(`config ${path}: the compiled form failed (${messageOf(err).split("\n")[0]}); trying tsx`);
    const mod = await importWithTsx(path);
    cache.storeTsxOnly(sources);
    return mod;
  }
}

async function importWithTsx(path: string): Promise<unknown> {
  const { tsImport } = await import("tsx/esm/api");
  return tsImport(pathToFileURL(path).href, import.meta.url);
}

/**
 * The local files `path` was compiled from when last loaded (itself and what it imports), as the
 * config cache recorded them, and a fingerprint of them when some changed since; undefined when
 * nothing is cached (the cache is off, or unwritable).
 */
export function recordedSources(path: string): ReturnType<ConfigCache["recorded"]> {
  return new ConfigCache(path, cairnVersion()).recorded();
}

let version: string | undefined;

/** This package's version: a cached config compiled by another version is compiled again. */
function cairnVersion(): string {
  try {
    version ??= (
      JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }
    ).version;
  } catch {
    version = "unknown";
  }
  return version;
}

/**
 * What was thrown, as text: an error's message, else the value itself (a config may throw a
 * string, `null` or an object: `throw "no API key"` shows as `no API key`).
 */
function messageOf(thrown: unknown): string {
  if (thrown instanceof Error) return thrown.message;
  if (typeof thrown === "string") return thrown;
  const message = (thrown as { message?: unknown } | null | undefined)?.message;
  if (typeof message === "string") return message;
  return inspect(thrown, { breakLength: Infinity, depth: 2 });
}

function debug(message: string): void {
  if (process.env.CAIRN_LOG_LEVEL === "debug") process.stderr.write(`cairn: ${message}\n`);
}

export function missingConfig(cwd: string): ConfigError {
  return new ConfigError(
    `no cairn.config.ts in ${cwd}. Create one:\n\n` +
      `  import { defineConfig, workflow } from "cairn-runtime";\n` +
      `  const hello = workflow("hello", async ({ step }) => step.run("greet", () => "hi"));\n` +
      `  export default defineConfig({ workflows: [hello] });\n\n` +
      `or pass --config PATH. To see Cairn work without one, run: cairn demo`,
  );
}
