import { ErrorCode, NotFoundError } from "../../shared/errors.js";
import type { NewPin, PinKind, PinRecord, StoredObject, WorkspaceStore } from "../workspace-store.js";
import type { SqliteDatabase } from "./database.js";
import { sqliteStoreError } from "./database.js";

/** SQLite's bound-parameter budget per statement, with room to spare. */
const CHUNK = 500;

/** Above every step's seq (an INTEGER column). */
const LAST_SEQ = 2_147_483_647;

const COMMITTED = "s.status IN ('completed', 'failed')";

interface PinRow {
  run_id: string;
  step_id: string;
  kind: PinKind;
  root: string;
  seq: number;
  created_at: number;
}

/** The workspace store on the SQLite journal's database file (each call one transaction). */
export class SqliteWorkspaceStore implements WorkspaceStore {
  constructor(private readonly db: SqliteDatabase) {}

  hasObjects(workspace: string, hashes: readonly string[]): Promise<Set<string>> {
    return this.read(() => {
      const found = new Set<string>();
      for (const part of chunks(hashes)) {
        const rows = this.db
          .prepare(
            `SELECT hash FROM workspace_objects WHERE workspace = ? AND hash IN (${marks(part.length)})`,
          )
          .all(workspace, ...part) as { hash: string }[];
        for (const r of rows) found.add(r.hash);
      }
      return found;
    });
  }

  putObjects(workspace: string, objects: readonly StoredObject[], at: number): Promise<number> {
    return this.read(() => {
      const insert = this.db.prepare(
        "INSERT OR IGNORE INTO workspace_objects (workspace, hash, kind, size, data, created_at) VALUES (?, ?, ?, ?, ?, ?)",
      );
      let bytes = 0;
      this.db
        .transaction(() => {
          for (const o of objects) {
            if (insert.run(workspace, o.hash, o.kind, o.data.length, o.data, at).changes > 0)
              bytes += o.data.length;
          }
        })
        .immediate();
      return bytes;
    });
  }

  getObjects(workspace: string, hashes: readonly string[]): Promise<Map<string, StoredObject>> {
    return this.read(() => {
      const found = new Map<string, StoredObject>();
      for (const part of chunks(hashes)) {
        const rows = this.db
          .prepare(
            `SELECT hash, kind, data FROM workspace_objects WHERE workspace = ? AND hash IN (${marks(part.length)})`,
          )
          .all(workspace, ...part) as StoredObject[];
        for (const r of rows) found.set(r.hash, r);
      }
      return found;
    });
  }

  pin(workspace: string, pin: NewPin, at: number): Promise<void> {
    return this.read(() => {
      this.db
        .transaction(() => {
          const next = this.db
            .prepare(
              "SELECT COALESCE(MAX(seq), 0) + 1 AS seq FROM workspace_pins WHERE workspace = ? AND run_id = ? AND kind = ?",
            )
            .get(workspace, pin.runId, pin.kind) as { seq: number };
          this.db
            .prepare(
              `INSERT INTO workspace_pins (workspace, run_id, kind, step_id, seq, root, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (workspace, run_id, kind, step_id) DO UPDATE SET seq = excluded.seq, root = excluded.root, created_at = excluded.created_at`,
            )
            .run(workspace, pin.runId, pin.kind, pin.stepId, next.seq, pin.root, at);
        })
        .immediate();
    });
  }

  latestPin(
    workspace: string,
    runId: string,
    kind: PinKind,
    throughStepId?: string,
  ): Promise<PinRecord | undefined> {
    return this.read(() => {
      const through = throughStepId === undefined ? undefined : this.stepSeq(workspace, runId, throughStepId);
      const row = this.db
        .prepare(
          `SELECT p.run_id, p.step_id, p.kind, p.root, p.seq, p.created_at FROM workspace_pins p
           JOIN steps s ON s.workspace = p.workspace AND s.run_id = p.run_id AND s.step_id = p.step_id
           WHERE p.workspace = ? AND p.run_id = ? AND p.kind = ? AND ${COMMITTED} AND s.seq <= ?
           ORDER BY p.seq DESC LIMIT 1`,
        )
        .get(workspace, runId, kind, through ?? LAST_SEQ) as PinRow | undefined;
      return row && toPin(row);
    });
  }

  copyPins(workspace: string, fromRunId: string, toRunId: string, throughStepId: string): Promise<number> {
    return this.read(() => {
      const through = this.stepSeq(workspace, fromRunId, throughStepId);
      return this.db
        .prepare(
          `INSERT OR REPLACE INTO workspace_pins (workspace, run_id, kind, step_id, seq, root, created_at)
           SELECT p.workspace, ?, p.kind, p.step_id, p.seq, p.root, p.created_at FROM workspace_pins p
           JOIN steps s ON s.workspace = p.workspace AND s.run_id = p.run_id AND s.step_id = p.step_id
           WHERE p.workspace = ? AND p.run_id = ? AND ${COMMITTED} AND s.seq <= ?`,
        )
        .run(toRunId, workspace, fromRunId, through).changes;
    });
  }

  dropPinsOfMissingRun(workspace: string, runId: string): Promise<number> {
    return this.read(
      () =>
        this.db
          .prepare(
            `DELETE FROM workspace_pins WHERE workspace = ? AND run_id = ?
             AND NOT EXISTS (SELECT 1 FROM runs WHERE workspace = ? AND id = ?)`,
          )
          .run(workspace, runId, workspace, runId).changes,
    );
  }

  prunePins(workspace: string, options: { endedBefore?: number }): Promise<number> {
    return this.read(() => {
      let removed = this.db
        .prepare(
          `DELETE FROM workspace_pins WHERE workspace = ? AND NOT EXISTS
           (SELECT 1 FROM runs r WHERE r.workspace = workspace_pins.workspace AND r.id = workspace_pins.run_id)`,
        )
        .run(workspace).changes;
      if (options.endedBefore !== undefined) {
        removed += this.db
          .prepare(
            `DELETE FROM workspace_pins WHERE workspace = ? AND run_id IN
             (SELECT id FROM runs WHERE workspace = ? AND status IN ('completed', 'failed', 'cancelled') AND ended_at < ?)`,
          )
          .run(workspace, workspace, options.endedBefore).changes;
      }
      return removed;
    });
  }

  pinnedRoots(workspace: string): Promise<string[]> {
    return this.read(() =>
      (
        this.db.prepare("SELECT DISTINCT root FROM workspace_pins WHERE workspace = ?").all(workspace) as {
          root: string;
        }[]
      ).map((r) => r.root),
    );
  }

  listObjects(workspace: string, createdBefore: number): Promise<{ hash: string; size: number }[]> {
    return this.read(
      () =>
        this.db
          .prepare("SELECT hash, size FROM workspace_objects WHERE workspace = ? AND created_at < ?")
          .all(workspace, createdBefore) as { hash: string; size: number }[],
    );
  }

  deleteObjects(workspace: string, hashes: readonly string[]): Promise<void> {
    return this.read(() => {
      this.db
        .transaction(() => {
          for (const part of chunks(hashes)) {
            this.db
              .prepare(
                `DELETE FROM workspace_objects WHERE workspace = ? AND hash IN (${marks(part.length)})`,
              )
              .run(workspace, ...part);
          }
        })
        .immediate();
    });
  }

  private stepSeq(workspace: string, runId: string, stepId: string): number {
    const row = this.db
      .prepare("SELECT seq FROM steps WHERE workspace = ? AND run_id = ? AND step_id = ?")
      .get(workspace, runId, stepId) as { seq: number } | undefined;
    if (row === undefined)
      throw new NotFoundError(ErrorCode.StepNotFound, `run ${runId} has no step "${stepId}"`);
    return row.seq;
  }

  private read<T>(fn: () => T): Promise<T> {
    try {
      return Promise.resolve(fn());
    } catch (err) {
      // A failure of the file is the store's (the run is handed back), as in the journal.
      return Promise.reject(sqliteStoreError(err, this.db.name));
    }
  }
}

function toPin(r: PinRow): PinRecord {
  return {
    runId: r.run_id,
    stepId: r.step_id,
    kind: r.kind,
    root: r.root,
    seq: r.seq,
    createdAt: r.created_at,
  };
}

function marks(n: number): string {
  return Array.from({ length: n }, () => "?").join(", ");
}

function* chunks<T>(items: readonly T[]): Generator<T[]> {
  for (let i = 0; i < items.length; i += CHUNK) yield items.slice(i, i + CHUNK);
}
