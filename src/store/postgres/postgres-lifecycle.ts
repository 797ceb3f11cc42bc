import { ConflictError } from "../../shared/errors.js";
import type { EncodedPayload } from "../../shared/payload.js";
import { decodePayload } from "../../shared/payload.js";
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
import type { RunRow, StepRow } from "../sqlite/rows.js";
import { stepKind, toRunSummary, toStepRecord } from "../sqlite/rows.js";
import { stepRowValues, stepUpsertSql } from "../step-row.js";
import type { Sql } from "./database.js";
import { payloadText, putPayload } from "./payloads.js";
import type { PgRuns } from "./postgres-runs.js";
import { lockRuns } from "./run-locks.js";
import type { Tx } from "./transactions.js";

const p = (n: number) => `$${n}`;

/** Forks, deletion, garbage collection and step scans on the PostgreSQL journal, inside its transactions. */
export class PgLifecycle {
  constructor(private readonly runs: PgRuns) {}

  async fork(
    t: Tx,
    run: NewRun & { forkedFrom: ForkOrigin },
    outputs: Record<string, EncodedPayload>,
  ): Promise<RunSummary> {
    const { sql, now } = t;
    const ws = run.workspace;
    const from = run.forkedFrom;
    if ((await this.runs.row(sql, ws, from.runId)) === undefined) throw forkSourceNotFound(ws, from.runId);
    const steps = await sql.rows<Pick<StepRow, "step_id" | "seq" | "kind" | "status">>(
      "SELECT step_id, seq, kind, status FROM steps WHERE workspace = $1 AND run_id = $2 ORDER BY seq",
      [ws, from.runId],
    );
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
    const created = await this.runs.insert(t, run);
    if (!created.created)
      throw new ConflictError(
        `the fork was not created: run ${created.run.id} of ${run.workflow} already holds its place (it is ${created.run.status})`,
      );
    await sql.run(copyStepsSql(p), [run.id, ws, from.runId, at.seq]);
    const lease = { workspace: ws, runId: run.id, owner: "", epoch: 0, expiresAt: 0 };
    for (const [stepId, payload] of Object.entries(outputs)) {
      const [json, blob] = await putPayload(t, ws, payload);
      if (stepId === from.stepId) {
        const start = {
          stepId,
          seq: at.seq,
          kind: stepKind(at.kind),
          attempt: 1,
          startedAt: now,
          sideEffect: false,
        };
        await sql.run(
          stepUpsertSql((n) => `$${n}`),
          stepRowValues(lease, start, {
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
        await sql.run(
          `UPDATE steps SET status = 'completed', output_json = $1, output_blob = $2, output_bytes = $3, error_json = NULL
           WHERE workspace = $4 AND run_id = $5 AND step_id = $6`,
          [json, blob, payload.bytes, ws, run.id, stepId],
        );
      }
    }
    await sql.run(
      `UPDATE runs SET stored_bytes = input_bytes
         + (SELECT COALESCE(SUM(output_bytes), 0) FROM steps WHERE workspace = $1 AND run_id = $2)
       WHERE workspace = $1 AND id = $2`,
      [ws, run.id],
    );
    return toRunSummary((await this.runs.row(sql, ws, run.id))!);
  }

  async delete(t: Tx, ws: string, runId: string): Promise<string[]> {
    const { sql } = t;
    const root = await this.runs.row(sql, ws, runId, true);
    if (root === undefined) throw forkSourceNotFound(ws, runId);
    const rows: RunRow[] = [root];
    for (let i = 0; i < rows.length; i++) {
      rows.push(
        ...(await sql.rows<RunRow>("SELECT * FROM runs WHERE workspace = $1 AND parent_run_id = $2", [
          ws,
          rows[i]!.id,
        ])),
      );
    }
    const ids = rows.map((r) => r.id);
    await lockRuns(sql, ws, ids);
    const problem = activeRunProblem(rows, runId);
    if (problem !== undefined) throw new ConflictError(problem);
    for (const table of RUN_TABLES)
      await sql.run(`DELETE FROM ${table} WHERE workspace = $1 AND run_id = ANY($2::text[])`, [ws, ids]);
    await sql.run("DELETE FROM runs WHERE workspace = $1 AND id = ANY($2::text[])", [ws, ids]);
    return ids;
  }

  async collectGarbage(t: Tx, ws: string, before: number): Promise<GarbageCollected> {
    const row = await t.sql.one<{ n: number; bytes: number }>(
      `WITH gone AS (DELETE FROM blobs WHERE ${unreferencedBlobsWhere(p)} RETURNING size)
       SELECT COUNT(*) AS n, COALESCE(SUM(size), 0)::bigint AS bytes FROM gone`,
      [ws, before],
    );
    return { blobs: row?.n ?? 0, bytes: row?.bytes ?? 0 };
  }

  async scan(sql: Sql, ws: string, scan: StepScan): Promise<ScannedStep[]> {
    if (scan.names.length === 0) return [];
    const rows = await sql.rows<StepRow & { workflow: string; output_data: Buffer | null }>(
      `SELECT s.*, r.workflow AS workflow, b.data AS output_data FROM runs r
         JOIN steps s ON s.workspace = r.workspace AND s.run_id = r.id
         LEFT JOIN blobs b ON b.workspace = s.workspace AND b.hash = s.output_blob
       WHERE r.workspace = $1 AND r.created_at >= $2 AND r.created_at < $3 AND s.status = 'completed'
         AND ${stepNamesWhere(scan.names, p, 5)}
       ORDER BY r.created_at, r.id COLLATE "C", s.seq LIMIT $4`,
      [ws, scan.createdAfter, scan.createdBefore, scan.limit, ...stepNamesArgs(scan.names)],
    );
    return rows.map((row) => {
      const label = `run ${row.run_id} step "${row.step_id}" output`;
      return {
        runId: row.run_id,
        workflow: row.workflow,
        step: toStepRecord(
          row.run_id,
          row,
          decodePayload(payloadText(row.output_json, row.output_blob, row.output_data, label), label),
        ),
      };
    });
  }
}
