import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseSse } from "../../../src/client/sse.js";
import type { SseMessage } from "../../../src/client/sse.js";
import type { PostgresServer } from "../../support/postgres-server.js";
import { startPostgres } from "../../support/postgres-server.js";
import { Project, serviceConfig, start } from "./processes.js";

let pgServer: PostgresServer | undefined;
beforeAll(async () => {
  pgServer = await startPostgres();
}, 60_000);
afterAll(async () => {
  await pgServer?.stop();
});

const ANSWER = Array.from({ length: 30 }, (_, i) => `token${i} `).join("");

async function readStream(url: string, key: string, timeoutMs = 30_000): Promise<SseMessage[]> {
  const res = await fetch(url, {
    headers: { authorization: `Bearer ${key}` },
    signal: AbortSignal.timeout(timeoutMs),
  });
  expect(res.status).toBe(200);
  const events: SseMessage[] = [];
  for await (const e of parseSse(res.body!)) events.push(e);
  return events;
}

describe.each(["sqlite", "postgres"] as const)(
  "cairn serve and cairn worker as two processes (%s)",
  (store) => {
    it("a run started over HTTP with a key is executed by the worker; the server streams its steps, tokens and result", async () => {
      const p = new Project(serviceConfig(15));
      const env: Record<string, string> =
        store === "postgres" ? { CAIRN_STORE: await freshDatabase(store) } : {};
      const created = await p.run(["keys", "create", "ci", "--scopes", "read,run", "--json"], env);
      expect(created.code, created.stderr).toBe(0);
      const key = (JSON.parse(created.stdout) as { key: string }).key;
      const other = JSON.parse(
        (await p.run(["keys", "create", "x", "--scopes", "admin", "--workspace", "other", "--json"], env))
          .stdout,
      ) as {
        key: string;
      };
      const listed = JSON.parse((await p.run(["keys", "ls", "--json"], env)).stdout) as { name: string }[];
      expect(listed.map((k) => k.name)).toEqual(["ci"]);
      expect(JSON.stringify(listed)).not.toContain(key);

      const serve = start(p, ["serve", "--port", "0"], env);
      const url = (await serve.waitFor(/listening on (http:\/\/\S+)/, "cairn serve to listen"))[1]!;
      const worker = start(p, ["worker"], env);
      await worker.waitFor(/worker \S+ on/, "cairn worker to start");

      // No key: 401. Another workspace's key: 404.
      expect((await fetch(`${url}/v1/runs`)).status).toBe(401);
      const res = await fetch(`${url}/v1/runs`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({ workflow: "helper", input: { message: "hello" } }),
      });
      expect(res.status).toBe(202);
      const runId = ((await res.json()) as { run: { id: string } }).run.id;
      const foreign = await fetch(`${url}/v1/runs/${runId}`, {
        headers: { authorization: `Bearer ${other.key}` },
      });
      expect(foreign.status).toBe(404);

      const events = await readStream(`${url}/v1/runs/${runId}/stream`, key);
      const types = events.map((e) => e.event);
      expect(types).toContain("run.started");
      expect(types.at(-1)).toBe("run.ended");
      const data = events.map(
        (e) =>
          JSON.parse(e.data) as { stepId: string; data: { parts?: { text: string }[] }; output?: unknown },
      );
      expect(data.filter((_, i) => types[i] === "step.ended").map((d) => d.stepId)).toContain("model");
      const tokens = data
        .filter((_, i) => types[i] === "step.progress")
        .flatMap((d) => d.data.parts!.map((x) => x.text))
        .join("");
      expect(tokens).toBe(ANSWER);
      // Streamed as they came: several batches, not one at the end.
      expect(types.filter((t) => t === "step.progress").length).toBeGreaterThan(1);
      expect(data.at(-1)!.output).toMatchObject({ text: ANSWER });
      // The worker, not the server, executed it.
      const run = (await (
        await fetch(`${url}/v1/runs/${runId}`, { headers: { authorization: `Bearer ${key}` } })
      ).json()) as {
        run: { status: string };
      };
      expect(run.run.status).toBe("completed");

      const served = await serve.stop();
      expect(served.code).toBe(0);
      expect((await worker.stop()).code).toBe(0);
    }, 120_000);
  },
);

let databases = 0;
async function freshDatabase(_store: string): Promise<string> {
  const { default: pg } = await import("pg");
  const admin = new pg.Client({ connectionString: pgServer!.url });
  await admin.connect();
  const name = `cairn_two_${process.pid}_${++databases}`;
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return pgServer!.urlFor(name);
}
