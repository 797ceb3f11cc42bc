import pg from "pg";
import type { TestProject } from "vitest/node";
import { PostgresJournal } from "../src/store/postgres/postgres-journal.js";
import { startPostgres } from "./support/postgres-server.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** `postgres://postgres@127.0.0.1:<port>` of the suite's throwaway server (no database). */
    postgresUrl: string;
    /** A database holding Cairn's migrated schema: each test's database is created from it. */
    postgresTemplate: string;
  }
}

/**
 * The postgres project's server: one throwaway PostgreSQL for the run, and a template database
 * migrated once, so a test's fresh database costs a CREATE DATABASE … TEMPLATE, not a migration.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startPostgres();
  const template = "cairn_template";
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${template}`);
  await admin.end();
  await (await PostgresJournal.open({ url: server.urlFor(template), max: 1 })).close();
  project.provide("postgresUrl", server.url.replace(/\/postgres$/, ""));
  project.provide("postgresTemplate", template);
  return () => server.stop();
}
