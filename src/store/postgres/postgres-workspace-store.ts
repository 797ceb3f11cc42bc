import { ErrorCode, NotFoundError } from "../../shared/errors.js";
import type { NewPin, PinKind, PinRecord, StoredObject, WorkspaceStore } from "../workspace-store.js";
import type { PgPool } from "./database.js";
import { storeError } from "./database.js";

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

/**
 * The workspace store on the PostgreSQL journal's pool. Each method is one statement (or one
 * transaction), unnamed: the journal's named prepared statements stay the journal's own.
 */
export class PostgresWorkspaceStore implements WorkspaceStore {
  constructor(
    private readonly pool: PgPool,
    private readonly where: string,
  ) {}

  async hasObjects(workspace: string, hashes: readonly string[]): Promise<Set<string>> {
    if (hashes.length === 0) return new Set();
    const rows = await this.rows<{ hash: string }>(
      "SELECT hash FROM workspace_objects WHERE workspace = $1 AND hash = ANY($2::text[])",
      [workspace, hashes],
    );
    return new Set(rows.map((r) => r.hash));
  }

  async putObjects(workspace: string, objects: readonly StoredObject[], at: number): Promise<number> {
    let bytes = 0;
    // A few MiB per statement: big enough to be few round trips, small enough for any server.
    for (const batch of batches(objects, 4 * 1024 * 1024)) {
      const values: unknown[] = [workspace, at];
      const tuples = batch.map((o) => {
        values.push(o.hash, o.kind, o.data.length, o.data);
        const n = values.length;
        return `($1, $${n - 3}, $${n - 2}, $${n - 1}, $${n}, $2)`;
      });
      const rows = await this.rows<{ size: number }>(
        `INSERT INTO workspace_objects (workspace, hash, kind, size, data, created_at) VALUES ${tuples.join(", ")}
         ON CONFLICT (workspace, hash) DO NOTHING RETURNING size`,
        values,
      );
      for (const r of rows) bytes += r.size;
    }
    return bytes;
  }

  async getObjects(workspace: string, hashes: readonly string[]): Promise<Map<string, StoredObject>> {
    const found = new Map<string, StoredObject>();
    if (hashes.length === 0) return found;
    const rows = await this.rows<StoredObject>(
      "SELECT hash, kind, data FROM workspace_objects WHERE workspace = $1 AND hash = ANY($2::text[])",
      [workspace, hashes],
    );
    for (const r of rows) found.set(r.hash, r);
    return found;
  }

  async pin(workspace: string, pin: NewPin, at: number): Promise<void> {
    await this.rows(
      `INSERT INTO workspace_pins (workspace, run_id, kind, step_id, seq, root, created_at)
       VALUES ($1, $2, $3, $4, COALESCE(${LAST_PIN}, 0) + 1, $5, $6)
       ON CONFLICT (workspace, run_id, kind, step_id) DO UPDATE SET seq = EXCLUDED.seq, root = EXCLUDED.root, created_at = EXCLUDED.created_at`,
      [workspace, pin.runId, pin.kind, pin.stepId, pin.root, at],
    );
  }

  async latestPin(
    workspace: string,
    runId: string,
    kind: PinKind,
    throughStepId?: string,
  ): Promise<PinRecord | undefined> {
    const through =
      throughStepId === undefined ? LAST_SEQ : await this.stepSeq(workspace, runId, throughStepId);
    const [row] = await this.rows<PinRow>(
      `SELECT p.run_id, p.step_id, p.kind, p.root, p.seq, p.created_at FROM workspace_pins p
       JOIN steps s ON s.workspace = p.workspace AND s.run_id = p.run_id AND s.step_id = p.step_id
       WHERE p.workspace = $1 AND p.run_id = $2 AND p.kind = $3 AND ${COMMITTED} AND s.seq <= $4
       ORDER BY p.seq DESC LIMIT 1`,
      [workspace, runId, kind, through],
    );
    return row && toPin(row);
  }

  async copyPins(
    workspace: string,
    fromRunId: string,
    toRunId: string,
    throughStepId: string,
  ): Promise<number> {
    const through = await this.stepSeq(workspace, fromRunId, throughStepId);
    const rows = await this.rows(
      `INSERT INTO workspace_pins (workspace, run_id, kind, step_id, seq, root, created_at)
       SELECT p.workspace, $2, p.kind, p.step_id, p.seq, p.root, p.created_at FROM workspace_pins p
       JOIN steps s ON s.workspace = p.workspace AND s.run_id = p.run_id AND s.step_id = p.step_id
       WHERE p.workspace = $1 AND p.run_id = $3 AND ${COMMITTED} AND s.seq <= $4
       ON CONFLICT (workspace, run_id, kind, step_id) DO UPDATE SET seq = EXCLUDED.seq, root = EXCLUDED.root
       RETURNING 1`,
      [workspace, toRunId, fromRunId, through],
    );
    return rows.length;
  }

  async dropPinsOfMissingRun(workspace: string, runId: string): Promise<number> {
    const rows = await this.rows(
      `DELETE FROM workspace_pins p WHERE p.workspace = $1 AND p.run_id = $2
       AND NOT EXISTS (SELECT 1 FROM runs r WHERE r.workspace = $1 AND r.id = $2) RETURNING 1`,
      [workspace, runId],
    );
    return rows.length;
  }

  async prunePins(workspace: string, options: { endedBefore?: number }): Promise<number> {
    let removed = (
      await this.rows(
        `DELETE FROM workspace_pins p WHERE p.workspace = $1 AND NOT EXISTS
         (SELECT 1 FROM runs r WHERE r.workspace = p.workspace AND r.id = p.run_id) RETURNING 1`,
        [workspace],
      )
    ).length;
    if (options.endedBefore !== undefined) {
      removed += (
        await this.rows(
          `DELETE FROM workspace_pins p USING runs r WHERE p.workspace = $1 AND r.workspace = p.workspace
           AND r.id = p.run_id AND r.status IN ('completed', 'failed', 'cancelled') AND r.ended_at < $2 RETURNING 1`,
          [workspace, options.endedBefore],
        )
      ).length;
    }
    return removed;
  }

  async pinnedRoots(workspace: string): Promise<string[]> {
    const rows = await this.rows<{ root: string }>(
      "SELECT DISTINCT root FROM workspace_pins WHERE workspace = $1",
      [workspace],
    );
    return rows.map((r) => r.root);
  }

  listObjects(workspace: string, createdBefore: number): Promise<{ hash: string; size: number }[]> {
    return this.rows("SELECT hash, size FROM workspace_objects WHERE workspace = $1 AND created_at < $2", [
      workspace,
      createdBefore,
    ]);
  }

  async deleteObjects(workspace: string, hashes: readonly string[]): Promise<void> {
    if (hashes.length === 0) return;
    await this.rows("DELETE FROM workspace_objects WHERE workspace = $1 AND hash = ANY($2::text[])", [
      workspace,
      hashes,
    ]);
  }

  private async stepSeq(workspace: string, runId: string, stepId: string): Promise<number> {
    const [row] = await this.rows<{ seq: number }>(
      "SELECT seq FROM steps WHERE workspace = $1 AND run_id = $2 AND step_id = $3",
      [workspace, runId, stepId],
    );
    if (row === undefined)
      throw new NotFoundError(ErrorCode.StepNotFound, `run ${runId} has no step "${stepId}"`);
    return row.seq;
  }

  private async rows<T>(text: string, values: unknown[]): Promise<T[]> {
    try {
      return (await this.pool.query(text, values)).rows as T[];
    } catch (err) {
      throw storeError(err, this.where);
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

function* batches(objects: readonly StoredObject[], maxBytes: number): Generator<StoredObject[]> {
  let batch: StoredObject[] = [];
  let bytes = 0;
  for (const o of objects) {
    if (batch.length > 0 && (bytes + o.data.length > maxBytes || batch.length >= 1000)) {
      yield batch;
      batch = [];
      bytes = 0;
    }
    batch.push(o);
    bytes += o.data.length;
  }
  if (batch.length > 0) yield batch;
}

/**
 * A run's last pin number of a kind ($1 workspace, $2 run, $3 kind), as the first row of a
 * backward index scan rather than MAX(), whose generic plan made on a small table scans them all.
 */
export const LAST_PIN = `(SELECT seq FROM workspace_pins WHERE workspace = $1 AND run_id = $2 AND kind = $3
    ORDER BY seq DESC LIMIT 1)`;
