import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

/**
 * The compiled config, kept between commands so an unchanged `cairn.config.ts` is not compiled
 * again. An entry is keyed on the content of every file the compiled code was made from (the
 * config and each local file it imports), plus the tsconfig/jsconfig/package.json files that
 * steer compiling: a change to any of them, or a new one appearing, is a miss. Anything off (an
 * unreadable or foreign manifest, a missing output) is a miss too, never an error.
 */
export interface CacheEntry {
  /** "esm": import `output`. "tsx": this config only loads through tsx (seen before). */
  mode: "esm" | "tsx";
  output: string | null;
  /** The files the entry was made from. */
  sources: string[];
}

interface Manifest {
  format: number;
  cairn: string;
  config: string;
  mode: "esm" | "tsx";
  /** Absolute path → sha256 of its content, or null when the file did not exist. */
  inputs: Record<string, string | null>;
  output: string | null;
  /** sha256 of the compiled file, so a damaged one is compiled again. */
  outputHash: string | null;
}

const FORMAT = 1;

export class ConfigCache {
  readonly dir: string;
  private readonly manifestPath: string;

  constructor(
    private readonly configPath: string,
    private readonly cairnVersion: string,
  ) {
    // Beside the config, under .cairn/ (Cairn's own folder), so external imports in the compiled
    // file resolve from the same node_modules folders as the config's.
    this.dir = join(dirname(configPath), ".cairn", "cache", "config");
    this.manifestPath = join(this.dir, `${sha256(configPath).slice(0, 16)}.json`);
  }

  /** The entry for the config as its files are now, or undefined on a miss. */
  lookup(): CacheEntry | undefined {
    const manifest = this.manifest();
    if (manifest === undefined) return undefined;
    for (const [path, hash] of Object.entries(manifest.inputs)) if (hashFile(path) !== hash) return undefined;
    const sources = Object.keys(manifest.inputs);
    if (manifest.mode === "tsx") return { mode: "tsx", output: null, sources };
    if (manifest.mode !== "esm" || typeof manifest.output !== "string") return undefined;
    const output = join(this.dir, manifest.output);
    if (hashFile(output) !== manifest.outputHash) return undefined;
    return { mode: "esm", output, sources };
  }

  /**
   * The files the stored entry was made from, even when some have changed since; `changed` is
   * then a fingerprint of their content now. Undefined when nothing is stored.
   */
  recorded(): { sources: string[]; changed: string | undefined } | undefined {
    const manifest = this.manifest();
    if (manifest === undefined) return undefined;
    const sources = Object.keys(manifest.inputs);
    const now = sources.map(hashFile);
    const stale = sources.some((path, i) => now[i] !== manifest.inputs[path]);
    return { sources, changed: stale ? sha256(JSON.stringify(now)) : undefined };
  }

  private manifest(): Manifest | undefined {
    let manifest: Manifest;
    try {
      manifest = JSON.parse(readFileSync(this.manifestPath, "utf8")) as Manifest;
    } catch {
      return undefined;
    }
    if (
      manifest?.format !== FORMAT ||
      manifest.cairn !== this.cairnVersion ||
      manifest.config !== this.configPath ||
      typeof manifest.inputs !== "object" ||
      manifest.inputs === null
    )
      return undefined;
    return manifest;
  }

  /**
   * Stores compiled code made from `sources` (absolute paths) and returns its path. Throws when
   * the cache folder cannot be written; the caller then loads the config without the cache.
   */
  store(code: string, sources: string[]): string {
    const inputs = this.inputsOf(sources);
    const name = `${sha256(JSON.stringify([this.cairnVersion, inputs, code])).slice(0, 32)}.mjs`;
    mkdirSync(this.dir, { recursive: true });
    writeAtomically(join(this.dir, name), code);
    this.writeManifest({ mode: "esm", inputs, output: name, outputHash: sha256(code) });
    return join(this.dir, name);
  }

  /** Remembers that this config (as its files are now) loads only through tsx. */
  storeTsxOnly(sources: string[]): void {
    try {
      mkdirSync(this.dir, { recursive: true });
      this.writeManifest({ mode: "tsx", inputs: this.inputsOf(sources), output: null, outputHash: null });
    } catch {
      // Not remembered: the next command tries the compiled file again, then tsx.
    }
  }

  private inputsOf(sources: string[]): Record<string, string | null> {
    const inputs: Record<string, string | null> = {};
    for (const path of [...new Set([...sources, ...steeringFiles(dirname(this.configPath))])].sort())
      inputs[path] = hashFile(path);
    return inputs;
  }

  private writeManifest(entry: Pick<Manifest, "mode" | "inputs" | "output" | "outputHash">): void {
    const previous = this.lookupOutputName();
    const manifest: Manifest = {
      format: FORMAT,
      cairn: this.cairnVersion,
      config: this.configPath,
      ...entry,
    };
    writeAtomically(this.manifestPath, JSON.stringify(manifest, null, 2));
    // The compiled file it replaces is no longer reachable: remove it (best effort).
    if (previous !== null && previous !== entry.output) rmSync(join(this.dir, previous), { force: true });
  }

  private lookupOutputName(): string | null {
    try {
      const m = JSON.parse(readFileSync(this.manifestPath, "utf8")) as Partial<Manifest>;
      return typeof m.output === "string" && /^[0-9a-f]+\.mjs$/.test(m.output) ? m.output : null;
    } catch {
      return null;
    }
  }
}

/** tsconfig.json, jsconfig.json and package.json from the config's folder up to the root. */
function steeringFiles(from: string): string[] {
  const files: string[] = [];
  let dir = from;
  for (;;) {
    for (const name of ["tsconfig.json", "jsconfig.json", "package.json"]) files.push(join(dir, name));
    const up = dirname(dir);
    if (up === dir) return files;
    dir = up;
  }
}

function hashFile(path: string): string | null {
  try {
    return sha256(readFileSync(path));
  } catch {
    return null;
  }
}

function sha256(data: string | Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Write to a temporary name, then rename: a reader never sees half a file. */
function writeAtomically(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}
