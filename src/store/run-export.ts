import { ErrorCode, InputError } from "../shared/errors.js";

/** A stored row as exported: its columns by name (both stores share their column names). */
export type ExportRow = Record<string, string | number | null>;

/**
 * A run's journal, moved between stores by `cairn runs export` / `cairn runs import`: the raw
 * rows of the run and every run under it, SQLite and PostgreSQL alike (times in ms, payloads as
 * their stored JSON text, flags as 0/1), so nothing is re-encoded on the way.
 */
export interface RunExport {
  cairn: "run-export";
  version: 1;
  /** The run asked for; `tables.runs` also holds the runs under it. */
  runId: string;
  exportedAt: number;
  from: { dialect: "sqlite" | "postgres"; workspace: string; schema: number };
  tables: Record<TransferTable, ExportRow[]>;
  /** Large payloads, content-addressed: `data` is base64. */
  blobs: { hash: string; size: number; data: string; created_at: number }[];
}

export interface ImportResult {
  runId: string;
  /** Runs stored: the run and the runs under it. */
  runs: number;
  steps: number;
  entries: number;
}

/**
 * The tables a run's journal spans, in the order an import writes them, and the column naming the
 * run (`events` are those the runs' waits received, found by id).
 */
export const TRANSFER_TABLES = [
  "runs",
  "steps",
  "step_attempts",
  "waits",
  "entries",
  "approvals",
  "events",
] as const;
export type TransferTable = (typeof TRANSFER_TABLES)[number];

export const RUN_COLUMN: Record<Exclude<TransferTable, "events">, string> = {
  runs: "id",
  steps: "run_id",
  step_attempts: "run_id",
  waits: "run_id",
  entries: "run_id",
  approvals: "run_id",
};

/** Columns holding blob hashes, per table: the blobs an export carries. */
export const BLOB_COLUMNS: Partial<Record<TransferTable, string[]>> = {
  runs: ["input_blob", "output_blob"],
  steps: ["output_blob"],
  events: ["data_blob"],
};

/** The blob hashes the rows name. */
export function blobHashes(tables: Record<TransferTable, ExportRow[]>): string[] {
  const hashes = new Set<string>();
  for (const [table, columns] of Object.entries(BLOB_COLUMNS) as [TransferTable, string[]][]) {
    for (const row of tables[table]) {
      for (const c of columns) if (typeof row[c] === "string") hashes.add(row[c]);
    }
  }
  return [...hashes];
}

/** Checks that a parsed file is a run export this code reads; an InputError says what is wrong. */
export function checkRunExport(value: unknown, source: string): RunExport {
  const bad = (what: string) =>
    new InputError(
      ErrorCode.InvalidInput,
      `${source} is not a Cairn run export: ${what}; make one with cairn runs export ID`,
    );
  if (typeof value !== "object" || value === null) throw bad("not a JSON object");
  const v = value as Partial<RunExport>;
  if (v.cairn !== "run-export") throw bad(`"cairn" is ${JSON.stringify(v.cairn)}, not "run-export"`);
  if (v.version !== 1)
    throw new InputError(
      ErrorCode.InvalidInput,
      `${source} is a run export of version ${String(v.version)}; this Cairn reads version 1 (upgrade cairn-runtime)`,
    );
  if (typeof v.runId !== "string") throw bad("no runId");
  if (typeof v.tables !== "object" || v.tables === null) throw bad("no tables");
  for (const t of TRANSFER_TABLES) {
    const rows = (v.tables as Partial<Record<TransferTable, unknown>>)[t];
    if (!Array.isArray(rows) || rows.some((r) => typeof r !== "object" || r === null || Array.isArray(r)))
      throw bad(`tables.${t} is not a list of rows`);
  }
  if (!v.tables.runs.some((r) => r.id === v.runId)) throw bad(`the run ${v.runId} is not among its runs`);
  if (!Array.isArray(v.blobs)) throw bad("no blobs list");
  return v as RunExport;
}
