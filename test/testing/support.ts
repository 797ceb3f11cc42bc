import pg from "pg";
import { afterEach, inject } from "vitest";
import type { TestEnv, TestEnvOptions, TestStoreOption } from "../../src/testing/index.js";
import { createTestEnv } from "../../src/testing/index.js";
import { testStore } from "../helpers.js";

const open: TestEnv[] = [];
afterEach(async () => {
  while (open.length > 0) await open.pop()!.close();
});

let databases = 0;

/**
 * The store the testing kit's own tests use: SQLite in memory in the sqlite project, a fresh
 * PostgreSQL database (from the migrated template) in the postgres project.
 */
export async function kitStore(): Promise<TestStoreOption> {
  if (testStore !== "postgres") return "memory";
  const server = inject("postgresUrl");
  const name = `cairn_kit_${process.pid}_${++databases}`;
  const admin = new pg.Client({ connectionString: `${server}/postgres` });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${inject("postgresTemplate")}`);
  } finally {
    await admin.end();
  }
  return `${server}/${name}` as TestStoreOption;
}

/** A test environment on this project's store, closed after the test. */
export async function testEnv(options: TestEnvOptions): Promise<TestEnv> {
  const env = await createTestEnv({ store: await kitStore(), ...options });
  open.push(env);
  return env;
}
