import pg from "pg";
import { afterAll, beforeAll, expect } from "vitest";
import type { EncodedPayload } from "../../src/shared/payload.js";
import { encodePayload } from "../../src/shared/payload.js";
import type { Journal } from "../../src/store/journal.js";
import type { Lease, NewRun } from "../../src/store/records.js";
import type { PostgresServer } from "../support/postgres-server.js";
import { startPostgres } from "../support/postgres-server.js";

/**
 * A real, throwaway PostgreSQL server for one test file, started before its tests and stopped
 * after them; returns how to get a new, empty database on it (its URL). Fails (never skips)
 * when the server cannot be started.
 */
export function usePostgresServer(): () => Promise<string> {
  let server: PostgresServer | undefined;
  let admin: pg.Client | undefined;
  let databases = 0;

  beforeAll(async () => {
    server = await startPostgres();
    admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
  }, 60_000);

  afterAll(async () => {
    await admin?.end();
    await server?.stop();
  });

  return async function freshDatabase(): Promise<string> {
    if (server === undefined || admin === undefined)
      throw new Error("the test PostgreSQL server did not start");
    const name = `cairn_test_${++databases}`;
    await admin.query(`CREATE DATABASE ${name}`);
    return server.urlFor(name);
  };
}

export const WS = "default";
export const KIB = 1024;

/** A new run, claimed by owner "w". */
export async function started(journal: Journal, id: string, extra: Partial<NewRun> = {}): Promise<Lease> {
  await journal.createRun({
    id,
    workspace: WS,
    workflow: "wf",
    input: encodePayload({ id }, "input"),
    ...extra,
  });
  const lease = await journal.claimRun(
    { workspace: WS, owner: "w", ttlMs: 60_000, limit: 1, workflows: ["wf"] },
    id,
  );
  expect(lease, `run ${id} should be claimable`).toBeDefined();
  return lease!;
}

/** A completed step result. */
export function step(stepId: string, seq: number, output: EncodedPayload) {
  return {
    stepId,
    seq,
    kind: "run" as const,
    attempt: 1,
    startedAt: 0,
    endedAt: 0,
    sideEffect: false,
    status: "completed" as const,
    output,
  };
}

/** One number a query counts, on its own connection. */
export async function count(url: string, sql: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>(sql);
    return Number(rows[0]!.n);
  } finally {
    await client.end();
  }
}
