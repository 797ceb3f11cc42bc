import type { Statement } from "better-sqlite3";
import { createHash } from "node:crypto";
import { CorruptPayloadError } from "../../shared/errors.js";
import type { EncodedPayload } from "../../shared/payload.js";
import { decodePayload } from "../../shared/payload.js";

/** Payloads up to this size live in their row; larger ones go to content-addressed blobs. */
const INLINE_LIMIT = 64 * 1024;

/**
 * Where the SQLite journal keeps payloads (run inputs and outputs, step outputs, event data):
 * inline in their row, or in a content-addressed blob the row names.
 */
export class SqlitePayloads {
  constructor(private readonly sql: (text: string) => Statement) {}

  /** Returns [inline text, blob hash] for a payload, writing the blob when it is large. */
  put(workspace: string, payload: EncodedPayload, now: number): [string | null, string | null] {
    if (payload.text === undefined) return [null, null];
    if (payload.bytes <= INLINE_LIMIT) return [payload.text, null];
    const hash = createHash("sha256").update(payload.text).digest("hex");
    this.sql(
      "INSERT OR IGNORE INTO blobs (workspace, hash, size, data, created_at) VALUES (?, ?, ?, ?, ?)",
    ).run(workspace, hash, payload.bytes, Buffer.from(payload.text), now);
    return [null, hash];
  }

  get(workspace: string, inline: string | null, blob: string | null, label: string): unknown {
    return decodePayload(this.text(workspace, inline, blob, label), label);
  }

  private text(workspace: string, inline: string | null, blob: string | null, label: string): string | null {
    if (blob === null) return inline;
    const row = this.sql("SELECT data FROM blobs WHERE workspace = ? AND hash = ?").get(workspace, blob) as
      { data: Buffer } | undefined;
    if (row === undefined)
      throw new CorruptPayloadError(`${label}: its stored blob ${blob.slice(0, 12)}… is missing`);
    return row.data.toString("utf8");
  }
}
