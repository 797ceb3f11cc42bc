import { Entry } from "./entry-types.js";
import type { ApiKeyRecord, ApiScope, FeedItem, StreamChunkBatch } from "./service-records.js";
import { parseJsonColumn } from "./sqlite/rows.js";

/** The session inbox row that says run `runId` takes no more messages (see Journal.takeInbox). */
export function closedMark(runId: string): string {
  return `closed:${runId}`;
}

/** An `api_keys` row, alike in both stores. */
export interface ApiKeyRow {
  workspace: string;
  id: string;
  name: string;
  principal: string;
  prefix: string;
  scopes_json: string;
  created_at: number;
  revoked_at: number | null;
}

export function toApiKey(row: ApiKeyRow): ApiKeyRecord {
  return {
    id: row.id,
    workspace: row.workspace,
    name: row.name,
    principal: row.principal,
    prefix: row.prefix,
    scopes: parseJsonColumn<ApiScope[]>(row.scopes_json, `api key ${row.id} scopes`) ?? [],
    createdAt: Number(row.created_at),
    revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
  };
}

/** A `feed` row, alike in both stores (PostgreSQL adds the writing transaction's id). */
export interface FeedRow {
  id: number;
  xid?: number;
  run_id: string;
  seq: number;
  type: string;
  step_id: string | null;
  at: number;
}

export function toFeedItem(row: FeedRow, cursor: string): FeedItem {
  return {
    cursor,
    runId: row.run_id === "" ? null : row.run_id,
    seq: row.seq,
    type: row.type,
    stepId: row.step_id,
    at: Number(row.at),
  };
}

/** The log entry a batch of streamed progress becomes. */
export function progressEntry(batch: StreamChunkBatch, epoch: number): { type: string; data: object } {
  return { type: Entry.StepProgress, data: { attempt: batch.attempt, epoch, parts: batch.parts } };
}
