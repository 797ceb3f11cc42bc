import { describe, expect, it } from "vitest";
import { Project, serviceConfig, start } from "./processes.js";

describe("cairn serve's streams", () => {
  it("a HEAD on a stream holds nothing open: SIGTERM still shuts the server down", async () => {
    const p = new Project(serviceConfig(0));
    const key = (await p.json<{ key: string }>(["keys", "create", "ci", "--scopes", "read,run"])).key;
    const serve = start(p, ["serve", "--port", "0"]);
    const url = (await serve.waitFor(/listening on (http:\/\/\S+)/, "cairn serve to listen"))[1]!;
    const auth = { authorization: `Bearer ${key}`, "content-type": "application/json" };
    const startRun = async () => {
      const started = await fetch(`${url}/v1/runs`, {
        method: "POST",
        headers: auth,
        body: JSON.stringify({ workflow: "two-steps" }),
      });
      return ((await started.json()) as { run: { id: string } }).run.id;
    };
    // No worker runs: one run stays queued, the other is cancelled (a log of several events).
    const queued = await startRun();
    const cancelled = await startRun();
    const cancel = await fetch(`${url}/v1/runs/${cancelled}/cancel`, {
      method: "POST",
      headers: auth,
      body: "{}",
    });
    expect(cancel.status).toBe(200);
    for (const runId of [queued, cancelled]) {
      const head = await fetch(`${url}/v1/runs/${runId}/stream`, { method: "HEAD", headers: auth });
      expect(head.status).toBe(200);
      expect(head.headers.get("content-type")).toContain("text/event-stream");
    }
    // stop() fails if the process has not exited within its deadline.
    expect((await serve.stop()).code).toBe(0);
  }, 90_000);
});
