import { chmod, lstat, mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { z as Zod } from "zod";
import { NonRetriableError } from "../../shared/errors.js";
import { requireLazily } from "../../shared/require-lazily.js";
import type { Tool } from "../../agent/tool.js";
import { tool } from "../../agent/tool.js";
import { confine } from "./confine.js";
import type { FileToolKit } from "./file-tool-kit.js";

type Z = typeof Zod;
const z = (): Z => requireLazily<{ z: Z }>("zod").z;

export interface ReadFileResult {
  path: string;
  /** The lines asked for (all when the file is small enough), or null for a binary file. */
  content: string | null;
  /** Lines in the file. */
  lines: number;
  bytes: number;
  /** Present when only part was returned: how to read on. */
  note?: string;
}

/** read_file: a text file of the workspace (or of the run's skills), whole or by lines. */
export function readFileTool(
  kit: FileToolKit,
): Tool<{ path: string; offset?: number | undefined; limit?: number | undefined }, ReadFileResult> {
  const maxBytes = kit.options.maxReadBytes ?? 256 * 1024;
  return tool({
    description:
      "Reads a text file of your workspace (paths relative to /workspace, or under /skills/ for skill files). " +
      "Long files: pass offset (first line, from 1) and limit (number of lines).",
    input: z().object({
      path: z().string().min(1),
      offset: z().number().int().min(1).optional(),
      limit: z().number().int().min(1).max(20_000).optional(),
    }),
    execute: (args, ctx) =>
      kit.workspaces.use(
        ctx,
        async (ws) => {
          const target = confine(args.path, await kit.roots(ctx, ws.dir), "read");
          if (!target.exists) throw new NonRetriableError(`${target.shown} does not exist`);
          const st = await lstat(target.abs);
          if (st.isDirectory()) throw new NonRetriableError(`${target.shown} is a folder; use list_files`);
          const data = await readFile(target.abs);
          if (data.includes(0))
            return { path: target.shown, content: null, lines: 0, bytes: data.length, note: "binary file" };
          const all = data.toString("utf8").split("\n");
          const from = (args.offset ?? 1) - 1;
          let lines = all.slice(from, args.limit !== undefined ? from + args.limit : undefined);
          let content = lines.join("\n");
          let note: string | undefined;
          if (Buffer.byteLength(content) > maxBytes) {
            // Whole lines up to the limit, and how to ask for the rest.
            let bytes = 0;
            let n = 0;
            while (n < lines.length && bytes + Buffer.byteLength(lines[n]!) + 1 <= maxBytes)
              bytes += Buffer.byteLength(lines[n++]!) + 1;
            lines = lines.slice(0, Math.max(1, n));
            content = lines.join("\n");
            note = `showing lines ${from + 1}-${from + lines.length} of ${all.length}; read on with offset ${from + lines.length + 1}`;
          }
          return {
            path: target.shown,
            content,
            lines: all.length,
            bytes: data.length,
            ...(note ? { note } : {}),
          };
        },
        { writes: false },
      ),
  });
}

/** write_file: creates or replaces a file of the workspace (folders made as needed). */
export function writeFileTool(
  kit: FileToolKit,
): Tool<
  { path: string; content: string; executable?: boolean | undefined },
  { path: string; bytes: number }
> {
  return tool({
    description:
      "Creates or replaces a file in your workspace with the given text (folders are made as needed). " +
      "Set executable to make it runnable.",
    input: z().object({
      path: z().string().min(1),
      content: z().string(),
      executable: z().boolean().optional(),
    }),
    execute: (args, ctx) =>
      kit.workspaces.use(
        ctx,
        async (ws) => {
          const target = confine(args.path, await kit.roots(ctx, ws.dir), "write");
          await makeParents(kit, ws.dir, target.abs);
          if (target.exists && (await lstat(target.abs)).isDirectory())
            throw new NonRetriableError(`${target.shown} is a folder`);
          await writeFile(target.abs, args.content, { mode: args.executable ? 0o755 : 0o644 });
          await kit.workspaces.own(target.abs);
          if (args.executable !== undefined) await chmod(target.abs, args.executable ? 0o755 : 0o644);
          return { path: target.shown, bytes: Buffer.byteLength(args.content) };
        },
        { writes: true },
      ),
  });
}

/** edit_file: replaces exact text in a file; refuses when the text is missing or ambiguous. */
export function editFileTool(
  kit: FileToolKit,
): Tool<
  { path: string; old_text: string; new_text: string; replace_all?: boolean | undefined },
  { path: string; replacements: number }
> {
  return tool({
    description:
      "Edits a file of your workspace: replaces old_text (exactly as in the file, whitespace included) with " +
      "new_text. old_text must occur once, unless replace_all is set.",
    input: z().object({
      path: z().string().min(1),
      old_text: z().string().min(1),
      new_text: z().string(),
      replace_all: z().boolean().optional(),
    }),
    execute: (args, ctx) =>
      kit.workspaces.use(
        ctx,
        async (ws) => {
          const target = confine(args.path, await kit.roots(ctx, ws.dir), "write");
          if (!target.exists)
            throw new NonRetriableError(`${target.shown} does not exist; use write_file to create it`);
          const text = await readFile(target.abs, "utf8");
          const count = text.split(args.old_text).length - 1;
          if (count === 0)
            throw new NonRetriableError(
              `old_text was not found in ${target.shown}; read the file and copy the text exactly`,
            );
          if (count > 1 && !args.replace_all)
            throw new NonRetriableError(
              `old_text occurs ${count} times in ${target.shown}; add surrounding lines to make it unique, or set replace_all`,
            );
          const next = args.replace_all
            ? text.split(args.old_text).join(args.new_text)
            : text.replace(args.old_text, () => args.new_text);
          await writeFile(target.abs, next);
          return { path: target.shown, replacements: args.replace_all ? count : 1 };
        },
        { writes: true },
      ),
  });
}

/** Makes the missing folders above `abs` (inside the workspace), owned like the rest. */
async function makeParents(kit: FileToolKit, root: string, abs: string): Promise<void> {
  const parent = dirname(abs);
  const made = await mkdir(parent, { recursive: true, mode: 0o755 });
  if (made === undefined) return;
  // Own each folder mkdir created, from the first down.
  for (let dir = parent; dir.length >= made.length && dir.startsWith(root); dir = dirname(dir))
    await kit.workspaces.own(dir);
}
