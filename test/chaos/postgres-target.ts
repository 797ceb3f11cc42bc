import pg from "pg";
import { PostgresJournal } from "../../src/store/postgres/postgres-journal.js";
import type { PostgresServer } from "../support/postgres-server.js";
import { startPostgres } from "../support/postgres-server.js";
import type { TcpProxy } from "../support/tcp-proxy.js";
import { startTcpProxy } from "../support/tcp-proxy.js";
import { raceClaims } from "./claim-race.js";
import type { Faults } from "./faults.js";
import { sleep } from "./faults.js";
import type { ChaosTarget } from "./target.js";

export interface PostgresFaults {
  /** How long the database is unreachable (through the proxy), once, at 20% of the duration. */
  outageMs: number;
  /** Database restarts (crash: `pg_ctl stop -m immediate`) in the second half, this far apart. */
  restartEveryMs: number;
}

/**
 * A durable PostgreSQL server (fsync on: it is crashed on purpose and must keep what it
 * acknowledged), reached by the workers and clients through a TCP proxy that can cut them off;
 * the test's observer goes straight to the server.
 */
export async function postgresTarget(options: PostgresFaults): Promise<ChaosTarget> {
  const server = await startPostgres({ durable: true });
  const proxy = await startTcpProxy(server.port);
  const closers: (() => Promise<void>)[] = [];
  try {
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    await admin.query("CREATE DATABASE chaos");
    await admin.end();
    const directUrl = server.urlFor("chaos");
    const proxiedUrl = `postgres://postgres@127.0.0.1:${proxy.port}/chaos`;
    const observer = await PostgresJournal.open({ url: directUrl, max: 4, connectionTimeoutMillis: 2_000 });
    closers.push(() => observer.close());
    const client = await PostgresJournal.open({ url: proxiedUrl, max: 4, connectionTimeoutMillis: 2_000 });
    closers.push(() => client.close());
    return {
      describe: `PostgreSQL ${directUrl} (through a proxy)`,
      storeUrl: proxiedUrl,
      observer,
      client,
      faults: async (from, until, faults) => {
        await Promise.all([
          outage(proxy, from + (until - from) * 0.2, options.outageMs, faults),
          restarts(server, from + (until - from) * 0.5, until, options.restartEveryMs, faults),
        ]);
      },
      // The server ends a frozen worker's idle transaction (and its locks) by itself.
      freezable: () => Promise.resolve(true),
      raceClaims: (races) => raceClaims(directUrl, races),
      close: async () => {
        for (const close of closers.reverse()) await close().catch(() => undefined);
        await proxy.close();
        await server.stop().catch(() => undefined);
      },
    };
  } catch (err) {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    await proxy.close();
    await server.stop().catch(() => undefined);
    throw err;
  }
}

async function outage(proxy: TcpProxy, at: number, ms: number, faults: Faults) {
  await sleep(Math.max(0, at - Date.now()));
  faults.say(`network outage: the database is unreachable for ${ms / 1000} s`);
  proxy.cut();
  await sleep(ms);
  proxy.restore();
  faults.counts.outages++;
  faults.counts.outageMs += ms;
}

async function restarts(
  server: PostgresServer,
  from: number,
  until: number,
  everyMs: number,
  faults: Faults,
) {
  await sleep(Math.max(0, from - Date.now()));
  while (Date.now() + everyMs < until) {
    await sleep(everyMs);
    await server.halt("immediate");
    await sleep(300);
    await server.resume();
    faults.counts.restarts++;
    faults.say(`database crashed and restarted (${faults.counts.restarts})`);
  }
}
