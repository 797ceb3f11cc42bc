import { createHash } from "node:crypto";
import { CorruptPayloadError } from "../../shared/errors.js";
import type { EncodedPayload } from "../../shared/payload.js";
import type { Tx } from "./transactions.js";

/** Payloads up to this size live in their row; larger ones go to content-addressed blobs. */
export const INLINE_LIMIT = 64 * 1024;

/**
 * Returns [inline text, blob hash] for a payload, writing the blob when it is large. A blob stored
 * again is stamped anew, and locked until commit: garbage collection, which spares recent blobs,
 * then never deletes one a transaction in flight is about to refer to.
 */
export async function putPayload(
  t: Tx,
  workspace: string,
  payload: EncodedPayload,
): Promise<[string | null, string | null]> {
  if (payload.text === undefined) return [null, null];
  if (payload.bytes <= INLINE_LIMIT) return [payload.text, null];
  const hash = createHash("sha256").update(payload.text).digest("hex");
  await t.sql.run(
    `INSERT INTO blobs (workspace, hash, size, data, created_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (workspace, hash) DO UPDATE SET created_at = GREATEST(blobs.created_at, excluded.created_at)`,
    [workspace, hash, payload.bytes, Buffer.from(payload.text), t.now],
  );
  return [null, hash];
}

/** A payload's text: inline, or from its blob (joined in by the query that read the row). */
export function payloadText(
  inline: string | null,
  blob: string | null,
  data: Buffer | null,
  label: string,
): string | null {
  if (blob === null) return inline;
  if (data === null)
    throw new CorruptPayloadError(`${label}: its stored blob ${blob.slice(0, 12)}… is missing`);
  return data.toString("utf8");
}
