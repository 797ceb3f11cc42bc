import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Project, serviceConfig, start } from "./processes.js";

describe("cairn serve", () => {
  it("refuses to listen beyond loopback while no API key exists, and says how to make one", async () => {
    const p = new Project(serviceConfig(0));
    const refused = await p.run(["serve", "--host", "0.0.0.0", "--port", "0"]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("no API key exists");
    expect(refused.stderr).toContain("cairn keys create");
    expect(refused.stderr).not.toMatch(/\bat .*\.js:\d+/);
    const bad = await p.run(["keys", "create", "ci", "--scopes", "root"]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('unknown scope "root"');
    const made = await p.json<{ id: string }>(["keys", "create", "ci", "--scopes", "admin"]);
    const serve = start(p, ["serve", "--host", "0.0.0.0", "--port", "0"]);
    await serve.waitFor(/listening on http/, "cairn serve to listen on all interfaces once a key exists");
    expect((await serve.stop()).code).toBe(0);
    const revoked = await p.json<{ revokedAt: number | null }>(["keys", "revoke", made.id]);
    expect(revoked.revokedAt).toEqual(expect.any(Number));
  }, 90_000);

  it("ends open streams cleanly and finishes requests in flight on SIGTERM", async () => {
    const p = new Project(serviceConfig(0));
    const key = (await p.json<{ key: string }>(["keys", "create", "ci", "--scopes", "read,run"])).key;
    const serve = start(p, ["serve", "--port", "0"]);
    const url = (await serve.waitFor(/listening on (http:\/\/\S+)/, "cairn serve to listen"))[1]!;
    const auth = { authorization: `Bearer ${key}`, "content-type": "application/json" };
    const started = await fetch(`${url}/v1/runs`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ workflow: "two-steps" }),
    });
    const runId = ((await started.json()) as { run: { id: string } }).run.id;
    // No worker runs: the stream stays open, and a long-poll is waiting, when SIGTERM comes.
    const stream = await fetch(`${url}/v1/runs/${runId}/stream`, { headers: auth });
    const reading = stream.text();
    const polling = fetch(`${url}/v1/runs/${runId}/result?wait=60s`, { headers: auth });
    await new Promise((r) => setTimeout(r, 300));
    const stopped = serve.stop();
    const poll = await polling;
    expect(poll.status).toBe(202);
    expect(await poll.json()).toEqual({ runId, status: "queued" });
    const text = await reading;
    expect(text).toContain("event: run.created");
    expect((await stopped).code).toBe(0);
  }, 90_000);
});

describe("cairn dev", () => {
  it("serves the API and a worker on loopback without keys, says so, and reloads the config when it changes", async () => {
    const p = new Project(serviceConfig(0));
    const refused = await p.run(["dev", "--host", "0.0.0.0"]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("this machine only");
    const dev = start(p, ["dev", "--port", "0"]);
    const url = (await dev.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/, "cairn dev to listen"))[1]!;
    await dev.waitFor(/without API keys/, "cairn dev to say it needs no key");
    const json = { "content-type": "application/json" };
    const done = await fetch(`${url}/v1/runs?wait=30s`, {
      method: "POST",
      headers: json,
      body: JSON.stringify({ workflow: "two-steps" }),
    });
    expect(done.status).toBe(200);
    expect(((await done.json()) as { run: { output: unknown } }).run.output).toEqual({ b: 2 });
    // A new workflow in the config: picked up without a restart.
    const config = join(p.dir, "cairn.config.ts");
    const source = readFileSync(config, "utf8").replace(
      "export default defineConfig({ workflows: [twoSteps],",
      `const added = workflow("added", async ({ step }) => step.run("only", () => "new code"));\nexport default defineConfig({ workflows: [twoSteps, added],`,
    );
    writeFileSync(config, source);
    await dev.waitFor(/reloaded; workflows: .*added/, "cairn dev to reload the changed config");
    const added = await fetch(`${url}/v1/runs?wait=30s`, {
      method: "POST",
      headers: json,
      body: JSON.stringify({ workflow: "added" }),
    });
    expect(added.status).toBe(200);
    expect(((await added.json()) as { run: { output: unknown } }).run.output).toBe("new code");
    expect((await dev.stop()).code).toBe(0);
  }, 90_000);

  it("reloads when a file the config imports from outside its folder changes", async () => {
    const p = new Project();
    const flows = (names: string[]) =>
      `import { workflow } from "cairn-runtime";
` +
      `export const flows = [${names.map((n) => `workflow("${n}", async ({ step }) => step.run("a", () => "${n}"))`).join(", ")}];
`;
    p.write("shared/flows.ts", flows(["first"]));
    p.write(
      "app/cairn.config.ts",
      `import { defineConfig } from "cairn-runtime";
import { flows } from "../shared/flows.ts";
` +
        `export default defineConfig({ workflows: flows });
`,
    );
    const dev = start(p, ["dev", "--port", "0", "--config", "app/cairn.config.ts"]);
    await dev.waitFor(/workflows: first/, "cairn dev to load the config");
    p.write("shared/flows.ts", flows(["first", "second"]));
    await dev.waitFor(
      /reloaded; workflows: first, second/,
      "cairn dev to reload after the shared file changed",
    );
    expect((await dev.stop()).code).toBe(0);
  }, 90_000);
});
