import { describe, expect, it } from "vitest";
import { collect, countingConfig, Project } from "../../cli/project.js";
import { runSpanId, stepSpanId, traceIdOf } from "../../../src/telemetry/span-record.js";
import { startOtlpReceiver } from "../otlp-receiver.js";

const CONFIG = countingConfig(`
const child = workflow("child", async ({ step }) => step.run("inner", () => { mark("inner"); return 1; }));
const traced = workflow("traced", async ({ step }) => {
  await step.run("first", () => { mark("first"); return 1; });
  await step.run("second", async () => {
    mark("second");
    // The first process waits here until it is killed; the one that resumes the run goes on.
    if (process.env.HANG === "1") await pause(600_000);
    return 2;
  });
  await step.invoke("sub", child, {});
  return "done";
});
export default defineConfig({ workflows: [traced, child] });
`);

describe("traces across a crash", () => {
  it("a run killed with SIGKILL mid-step and resumed by another process is one trace; no step appears twice", async () => {
    const receiver = await startOtlpReceiver();
    const p = new Project(CONFIG);
    const otel = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: "100" };
    const first = p.spawn(["run", "traced"], { ...otel, HANG: "1" });
    const done = collect(first);
    let stdout = "";
    first.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
    await receiver.until("the span of step first from the first process", (s) =>
      s.some((x) => x.name === "step first"),
    );
    const deadline = Date.now() + 30_000;
    while (!p.executions().has("second")) {
      if (Date.now() > deadline)
        throw new Error("timed out waiting for step second to start in the first process");
      await new Promise((r) => setTimeout(r, 25));
    }
    first.kill("SIGKILL");
    const killed = await done;
    expect(killed.signal).toBe("SIGKILL");
    const runId = /run (run_\w+)/.exec(stdout)![1]!;

    const resumed = await p.run(["worker", "--once"], otel);
    expect(resumed.code).toBe(0);
    const spans = await receiver.until("the run's span from the second process", (s) =>
      s.some((x) => x.name === "invoke_workflow traced"),
    );
    // "first" ran once, "second" was cut off and ran again, then the child.
    expect(Object.fromEntries(p.executions())).toEqual({ first: 1, second: 2, inner: 1 });

    expect(new Set(spans.map((s) => s.traceId))).toEqual(new Set([traceIdOf(runId)]));
    const names = spans.map((s) => s.name).sort();
    expect(names).toEqual(
      [
        "invoke_workflow child",
        "invoke_workflow traced",
        "step first",
        "step inner",
        "step second",
        "step sub",
      ].sort(),
    );
    const span = (name: string) => spans.find((s) => s.name === name)!;
    expect(span("invoke_workflow traced")).toMatchObject({
      spanId: runSpanId(runId),
      parentSpanId: undefined,
    });
    expect(span("step first").parentSpanId).toBe(runSpanId(runId));
    expect(span("step second").parentSpanId).toBe(runSpanId(runId));
    expect(span("step sub").spanId).toBe(stepSpanId(runId, "sub"));
    expect(span("invoke_workflow child").parentSpanId).toBe(stepSpanId(runId, "sub"));
    expect(span("step inner").parentSpanId).toBe(span("invoke_workflow child").spanId);
    // Two processes wrote it: the first step's span came from the one that was killed.
    const writer = (name: string) => span(name).resource["service.instance.id"];
    expect(writer("step first")).not.toBe(writer("step second"));
    expect(writer("step second")).toBe(writer("invoke_workflow traced"));
  }, 90_000);
});
