/**
 * What the HTTP service keeps in the journal beside runs: API keys, the streamed progress of
 * steps, and the workspace feed the dashboard's live lists read.
 */

/** What an API key may do: read anything in its workspace, start runs, decide approvals, manage keys. */
export type ApiScope = "read" | "run" | "approve" | "admin";

export const API_SCOPES: readonly ApiScope[] = ["read", "run", "approve", "admin"];

export interface NewApiKey {
  id: string;
  workspace: string;
  name: string;
  /** Who the key acts as: recorded on approval decisions and matched against `approvers`. */
  principal: string;
  /** sha-256 of the secret, hex. The secret itself is never stored. */
  hash: string;
  /** The secret's first characters, to tell keys apart in listings. */
  prefix: string;
  scopes: ApiScope[];
}

export interface ApiKeyRecord extends Omit<NewApiKey, "hash"> {
  createdAt: number;
  revokedAt: number | null;
}

/**
 * Progress a step reported while it ran (a model's text deltas), as the worker executing it
 * stores them: a batch per flush, tagged with the attempt and lease epoch that produced it so a
 * retried or taken-over step's partial output is known to be superseded.
 */
export interface StreamChunkBatch {
  stepId: string;
  attempt: number;
  /** Each part as the step reported it, e.g. `{ type: "text-delta", text: "Hel" }`. */
  parts: Record<string, unknown>[];
}

/** One change in a workspace, in the order changes committed: a run's state, an approval, an event. */
export interface FeedItem {
  /** Opaque and increasing: read the feed after it to get what came next, without gap or repeat. */
  cursor: string;
  /** Null for workspace-wide entries (a sent event). */
  runId: string | null;
  /** The run log entry this item mirrors. */
  seq: number;
  type: string;
  stepId: string | null;
  at: number;
}

/** The schema version a store has, against the newest this code knows. */
export interface SchemaState {
  version: number;
  latest: number;
}
