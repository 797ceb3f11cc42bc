import { ConflictError } from "../../shared/errors.js";
import type { EncodedPayload } from "../../shared/payload.js";
import type { GarbageCollected, ScannedStep, StepScan } from "../lifecycle-records.js";
import {
  activeRunProblem,
  checkForkOutputs,
  copyStepsSql,
  forkSourceNotFound,
  forkStepNotFound,
  RUN_TABLES,
  stepNamesArgs,
  stepNamesWhere,
  unreferencedBlobsWhere,
} from "../lifecycle-sql.js";
import type { ForkOrigin, NewRun, RunSummary } from "../records.js";
import { stepRowValues, stepUpsertSql } from "../step-row.js";
import type { RunRow, StepRow } from "./rows.js";
import { stepKind, toRunSummary, toStepRecord } from "./rows.js";
import type { SqliteRuns } from "./sqlite-runs.js";
import type { SqliteStore } from "./sqlite-store.js";

/** Named placeholders (`@p1`…): one value may appear several times in a statement. */
const p = (n: number) => `@p${n}`;
const named = (...values: unknown[]) => Object.fromEntries(values.map((v, i) => [`p${i + 1}`, v]));

/** Forks, deletion, garbage collection and step scans on the SQLite journal, inside its transactions. */
export class SqliteLifecycle {
  constructor(
    private readonly store: SqliteStore,
    private readonly runs: SqliteRuns,
  ) {}

  fork(run: NewRun & { forkedFrom: ForkOrigin }, outputs: Record<string, EncodedPayload>): RunSummary {
    const now = this.store.clock.now();
    const ws = run.workspace;
    const from = run.forkedFrom;
    if (this.runs.row(ws, from.runId) === undefined) throw forkSourceNotFound(ws, from.runId);
    const steps = this.store
      .sql("SELECT step_id, seq, kind, status FROM steps WHERE workspace = ? AND run_id = ? ORDER BY seq")
      .all(ws, from.runId) as Pick<StepRow, "step_id" | "seq" | "kind" | "status">[];
    const at = steps.find((s) => s.step_id === from.stepId);
    if (at === undefined)
      throw forkStepNotFound(
        from.runId,
        from.stepId,
        steps.map((s) => s.step_id),
      );
    const copied = new Set(
      steps
        .filter((s) => s.seq < at.seq && (s.status === "completed" || s.status === "failed"))
        .map((s) => s.step_id),
    );
    checkForkOutputs(from.runId, from.stepId, copied, outputs);
    const created = this.runs.insert(run, now);
    if (!created.created)
      throw new ConflictError(
        `the fork was not created: run ${created.run.id} of ${run.workflow} already holds its place (it is ${created.run.status})`,
      );
    this.store.sql(copyStepsSql(p)).run(named(run.id, ws, from.runId, at.seq));
    const lease = { workspace: ws, runId: run.id, owner: "", epoch: 0, expiresAt: 0 };
    for (const [stepId, payload] of Object.entries(outputs)) {
      const [json, blob] = this.store.payloads.put(ws, payload, now);
      if (stepId === from.stepId) {
        const start = {
          stepId,
          seq: at.seq,
          kind: stepKind(at.kind),
          attempt: 1,
          startedAt: now,
          sideEffect: false,
        };
        this.store.sql(stepUpsertSql(() => "?")).run(
          ...stepRowValues(lease, start, {
            status: "completed",
            outputJson: json,
            outputBlob: blob,
            outputBytes: payload.bytes,
            errorJson: null,
            endedAt: now,
            retryAt: null,
          }),
        );
      } else {
        this.store
          .sql(
            `UPDATE steps SET status = 'completed', output_json = ?, output_blob = ?, output_bytes = ?, error_json = NULL
             WHERE workspace = ? AND run_id = ? AND step_id = ?`,
          )
          .run(json, blob, payload.bytes, ws, run.id, stepId);
      }
    }
    this.store
      .sql(
        `UPDATE runs SET stored_bytes = input_bytes
           + (SELECT COALESCE(SUM(output_bytes), 0) FROM steps WHERE workspace = @p1 AND run_id = @p2)
         WHERE workspace = @p1 AND id = @p2`,
      )
      .run(named(ws, run.id));
    return toRunSummary(this.runs.row(ws, run.id)!);
  }

  delete(ws: string, runId: string): string[] {
    const root = this.runs.row(ws, runId);
    if (root === undefined) throw forkSourceNotFound(ws, runId);
    const rows: RunRow[] = [root];
    for (let i = 0; i < rows.length; i++) {
      const children = this.store
        .sql("SELECT * FROM runs WHERE workspace = ? AND parent_run_id = ?")
        .all(ws, rows[i]!.id) as RunRow[];
      rows.push(...children);
    }
    const problem = activeRunProblem(rows, runId);
    if (problem !== undefined) throw new ConflictError(problem);
    for (const r of rows) {
      for (const table of RUN_TABLES)
        this.store.sql(`DELETE FROM ${table} WHERE workspace = ? AND run_id = ?`).run(ws, r.id);
      this.store.sql("DELETE FROM runs WHERE workspace = ? AND id = ?").run(ws, r.id);
    }
    return rows.map((r) => r.id);
  }

  collectGarbage(ws: string, before: number): GarbageCollected {
    const where = unreferencedBlobsWhere(p);
    const found = this.store
      .sql(`SELECT COUNT(*) AS n, COALESCE(SUM(size), 0) AS bytes FROM blobs WHERE ${where}`)
      .get(named(ws, before)) as { n: number; bytes: number };
    if (found.n > 0) this.store.sql(`DELETE FROM blobs WHERE ${where}`).run(named(ws, before));
    return { blobs: found.n, bytes: found.bytes };
  }

  scan(ws: string, scan: StepScan): ScannedStep[] {
    if (scan.names.length === 0) return [];
    const rows = this.store
      .sql(
        `SELECT s.*, r.workflow AS workflow FROM runs r
           JOIN steps s ON s.workspace = r.workspace AND s.run_id = r.id
         WHERE r.workspace = @p1 AND r.created_at >= @p2 AND r.created_at < @p3 AND s.status = 'completed'
           AND ${stepNamesWhere(scan.names, p, 5)}
         ORDER BY r.created_at, r.id, s.seq LIMIT @p4`,
      )
      .all(
        named(ws, scan.createdAfter, scan.createdBefore, scan.limit, ...stepNamesArgs(scan.names)),
      ) as (StepRow & {
      workflow: string;
    })[];
    return rows.map((row) => ({
      runId: row.run_id,
      workflow: row.workflow,
      step: toStepRecord(
        row.run_id,
        row,
        this.store.payloads.get(
          ws,
          row.output_json,
          row.output_blob,
          `run ${row.run_id} step "${row.step_id}" output`,
        ),
      ),
    }));
  }
}
