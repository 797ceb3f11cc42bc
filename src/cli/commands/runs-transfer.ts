import { readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { ErrorCode, InputError } from "../../shared/errors.js";
import { redactUrl } from "../../shared/redact-url.js";
import { isTerminal } from "../../store/records.js";
import type { RunStatus } from "../../store/records.js";
import { checkRunExport } from "../../store/run-export.js";
import type { Parsed } from "../args.js";
import { openStore } from "../context.js";
import { dim, printJson } from "../format.js";
import { positionals } from "./runs.js";

/** `cairn runs export ID [--out FILE]`: a run's journal (and its child runs') as one JSON file. */
export async function runsExportCommand(args: Parsed): Promise<number> {
  const [id] = positionals(args, 1, "runs export ID [--out FILE]") as [string];
  const ctx = await openStore(args, { readOnly: true });
  try {
    const data = await ctx.journal.exportRun(ctx.workspace, id);
    const text = JSON.stringify(data) + "\n";
    const out = args.string("out");
    if (out === undefined || out === "-") {
      process.stdout.write(text);
      return 0;
    }
    writeOut(out, text);
    const summary = {
      runId: id,
      file: out,
      runs: data.tables.runs.length,
      steps: data.tables.steps.length,
      entries: data.tables.entries.length,
      bytes: Buffer.byteLength(text),
    };
    if (ctx.json) printJson(summary);
    else
      console.log(
        `exported run ${id} to ${out}: ${summary.runs} run${summary.runs === 1 ? "" : "s"}, ${summary.steps} steps, ${summary.entries} log entries`,
      );
    return 0;
  } finally {
    await ctx.close();
  }
}

/** Writes the export to `file`, with an InputError that names the file and what to do when it cannot. */
function writeOut(file: string, text: string): void {
  try {
    writeFileSync(file, text);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    const why =
      code === "ENOENT" || code === "ENOTDIR"
        ? `the folder ${dirname(resolve(file))} does not exist`
        : code === "EACCES" || code === "EPERM" || code === "EROFS"
          ? "this user may not write there"
          : code === "EISDIR"
            ? "it is a folder"
            : (cause as Error).message;
    throw new InputError(
      ErrorCode.InvalidInput,
      `cannot write ${file}: ${why}; choose a file in a folder that exists and this user can write, with --out FILE`,
      { cause },
    );
  }
}

/** `cairn runs import FILE`: stores an exported run here, as it was. */
export async function runsImportCommand(args: Parsed): Promise<number> {
  const [file] = positionals(args, 1, "runs import FILE") as [string];
  const data = checkRunExport(readJson(file), file === "-" ? "standard input" : file);
  const ctx = await openStore(args);
  try {
    const result = await ctx.journal.importRun(ctx.workspace, data);
    const status = data.tables.runs.find((r) => r.id === data.runId)?.status as RunStatus;
    if (ctx.json) printJson({ ...result, status });
    else {
      console.log(
        `imported run ${result.runId} (${status}) into ${redactUrl(ctx.storeUrl)}: ${result.runs} run${result.runs === 1 ? "" : "s"}, ${result.steps} steps, ${result.entries} log entries`,
      );
      if (!isTerminal(status))
        console.log(dim(`it has not ended: a worker on this store with its workflow goes on with it`));
    }
    return 0;
  } finally {
    await ctx.close();
  }
}

/** A JSON file (or standard input for "-"), with an InputError naming the file when it is not. */
export function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file === "-" ? 0 : file, "utf8");
  } catch (cause) {
    throw new InputError(ErrorCode.InvalidInput, `cannot read ${file}: ${(cause as Error).message}`, {
      cause,
    });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new InputError(ErrorCode.InvalidInput, `${file} is not JSON: ${(cause as Error).message}`, {
      cause,
    });
  }
}
