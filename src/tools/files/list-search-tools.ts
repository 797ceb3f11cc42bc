import type { Dirent } from "node:fs";
import { lstat, readdir } from "node:fs/promises";
import { join } from "node:path";
import { NonRetriableError } from "../../shared/errors.js";
import { requireLazily } from "../../shared/require-lazily.js";
import type { z as Zod } from "zod";
import { tool } from "../../agent/tool.js";
import { runSandboxed } from "../exec/run-sandboxed.js";
import { DEFAULT_LIMITS } from "../exec/sandbox-limits.js";
import { checkReachable, hostUser } from "../exec/sandbox-check.js";
import { confine } from "./confine.js";
import type { FileToolKit } from "./file-tool-kit.js";

type Z = typeof Zod;
const z = (): Z => requireLazily<{ z: Z }>("zod").z;

export interface ListedEntry {
  path: string;
  type: "file" | "dir" | "link";
  size: number;
}

const MAX_LISTED = 1000;
const MAX_MATCHES = 200;

/** list_files: what a folder of the workspace holds (symlinks listed, never followed). */
export function listFilesTool(kit: FileToolKit) {
  return tool({
    description:
      "Lists the files and folders in a folder of your workspace (default: /workspace), recursively unless recursive is false.",
    input: z().object({ path: z().string().optional(), recursive: z().boolean().optional() }),
    execute: (args, ctx) =>
      kit.workspaces.use(
        ctx,
        async (ws) => {
          const target = confine(args.path ?? ".", await kit.roots(ctx, ws.dir), "read");
          if (!target.exists) throw new NonRetriableError(`${target.shown} does not exist`);
          if (!(await lstat(target.abs)).isDirectory())
            throw new NonRetriableError(`${target.shown} is not a folder`);
          const entries: ListedEntry[] = [];
          let more = false;
          const walk = async (abs: string, shown: string): Promise<void> => {
            const dirents: Dirent[] = await readdir(abs, { withFileTypes: true });
            dirents.sort((a, b) => (a.name < b.name ? -1 : 1));
            for (const d of dirents) {
              if (entries.length >= MAX_LISTED) {
                more = true;
                return;
              }
              const path = `${shown}/${d.name}`;
              const st = await lstat(join(abs, d.name));
              const type = st.isDirectory() ? "dir" : st.isSymbolicLink() ? "link" : "file";
              entries.push({ path, type, size: st.isDirectory() ? 0 : st.size });
              if (type === "dir" && args.recursive !== false) await walk(join(abs, d.name), path);
            }
          };
          await walk(target.abs, target.shown);
          return { entries, ...(more ? { note: `only the first ${MAX_LISTED} entries` } : {}) };
        },
        { writes: false },
      ),
  });
}

export interface SearchMatch {
  path: string;
  line: number;
  text: string;
}

/**
 * search_files: lines matching a text or a regular expression, under a folder of the workspace.
 * It runs grep in the sandbox (read-only), so a pathological pattern costs the sandbox's time
 * limit, never the worker's.
 */
export function searchFilesTool(kit: FileToolKit) {
  return tool({
    description:
      "Searches the text files under a folder of your workspace (default: /workspace) for lines containing " +
      "query; set regex to treat query as an extended regular expression. Optional glob filters file names (e.g. *.py).",
    input: z().object({
      query: z().string().min(1).max(1000),
      regex: z().boolean().optional(),
      path: z().string().optional(),
      glob: z().string().max(200).optional(),
      ignore_case: z().boolean().optional(),
    }),
    execute: (args, ctx) =>
      kit.workspaces.use(
        ctx,
        async (ws) => {
          const roots = await kit.roots(ctx, ws.dir);
          const target = confine(args.path ?? ".", roots, "read");
          if (!target.exists) throw new NonRetriableError(`${target.shown} does not exist`);
          checkReachable(ws.dir, hostUser(kit.workspaces.sandbox));
          const flags = [
            "-rnI",
            "--no-messages",
            args.regex ? "-E" : "-F",
            ...(args.ignore_case ? ["-i"] : []),
          ];
          if (args.glob !== undefined) flags.push(`--include=${quote(args.glob)}`);
          const result = await runSandboxed({
            ...kit.workspaces.sandbox,
            command: `grep ${flags.join(" ")} -e ${quote(args.query)} -- ${quote(target.shown)} | head -n ${MAX_MATCHES + 1}`,
            workspaceDir: ws.dir,
            readOnlyWorkspace: true,
            ...(roots.skills !== undefined ? { skillsDir: roots.skills } : {}),
            network: "none",
            limits: { ...DEFAULT_LIMITS, wallSeconds: 30, cpuSeconds: 20, outputBytes: 256 * 1024 },
            signal: ctx.signal,
          });
          if (result.limit !== undefined)
            throw new NonRetriableError(`the search was stopped (${result.limit}); narrow it`);
          const matches = parseGrep(result.stdout);
          const more = matches.length > MAX_MATCHES;
          return {
            matches: matches.slice(0, MAX_MATCHES),
            ...(more ? { note: `only the first ${MAX_MATCHES} matches` } : {}),
          };
        },
        { writes: false },
      ),
  });
}

function parseGrep(stdout: string): SearchMatch[] {
  const out: SearchMatch[] = [];
  for (const line of stdout.split("\n")) {
    const m = /^((?:\/workspace|\/skills)[^:]*):(\d+):(.*)$/.exec(line);
    if (m) out.push({ path: m[1]!, line: Number(m[2]), text: m[3]!.slice(0, 500) });
  }
  return out;
}

/** Single-quotes a word for bash. */
function quote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
