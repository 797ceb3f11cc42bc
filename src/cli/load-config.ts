import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { tsImport } from "tsx/esm/api";
import { validateConfig } from "./define-config.js";
import type { CairnConfig } from "./define-config.js";
import { ConfigError } from "../shared/errors.js";

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

/** Loads a TypeScript or JavaScript config without a build step. */
export async function loadConfig(path: string): Promise<CairnConfig> {
  let mod: { default?: unknown };
  try {
    mod = (await tsImport(pathToFileURL(path).href, import.meta.url)) as { default?: unknown };
  } catch (cause) {
    // Node's "Require stack" lists tsx's internal file names: noise to a person.
    const message = (cause as Error).message.replace(/\nRequire stack:[\s\S]*$/, "");
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

export function missingConfig(cwd: string): ConfigError {
  return new ConfigError(
    `no cairn.config.ts in ${cwd}. Create one:\n\n` +
      `  import { defineConfig, workflow } from "cairn-runtime";\n` +
      `  const hello = workflow("hello", async ({ step }) => step.run("greet", () => "hi"));\n` +
      `  export default defineConfig({ workflows: [hello] });\n\n` +
      `or pass --config PATH. To see Cairn work without one, run: cairn demo`,
  );
}
