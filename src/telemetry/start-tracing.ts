import type { Agent } from "../agent/agent.js";
import type { Engine } from "../engine/engine.js";
import { RunTracer } from "./run-tracer.js";
import { secretValues } from "./redact.js";
import type { SpanSink } from "./span-record.js";

export interface TracingOptions {
  /** Agents by name (their runs get GenAI spans). */
  agents?: ReadonlyMap<string, Agent>;
  /** Where to send spans (OTLP/HTTP base URL); default $OTEL_EXPORTER_OTLP_ENDPOINT. */
  endpoint?: string;
  /** Export message contents, tool arguments and results; default $CAIRN_OTEL_CONTENT=1. */
  content?: boolean;
  /** A sink of your own instead of OTLP (tests, other exporters). */
  sink?: SpanSink;
  env?: Record<string, string | undefined>;
}

/** A tracing engine: `shutdown()` exports what is left and stops. */
export interface Tracing {
  /** Resolves once every span so far is exported. */
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

/**
 * Traces what `engine` executes, as OpenTelemetry spans over OTLP/HTTP, when an endpoint is set
 * (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, or `options.endpoint`);
 * otherwise returns undefined and loads nothing. The SDK is loaded on first use.
 *
 * @example
 * const tracing = await startTracing(engine, { agents });
 * // … run workers …
 * await tracing?.shutdown();
 */
export async function startTracing(
  engine: Engine,
  options: TracingOptions = {},
): Promise<Tracing | undefined> {
  const env = options.env ?? process.env;
  const base = options.endpoint ?? (env.OTEL_EXPORTER_OTLP_ENDPOINT || undefined);
  // The traces endpoint is a full URL; the general one gets /v1/traces, as the spec says.
  const url =
    env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || (base ? `${base.replace(/\/$/, "")}/v1/traces` : undefined);
  if ((url === undefined && options.sink === undefined) || env.OTEL_SDK_DISABLED === "true") return undefined;
  const sink =
    options.sink ??
    (await import("./otel-sink.js")).otlpSink({
      url: url!,
      resource: {
        "service.name": env.OTEL_SERVICE_NAME || "cairn",
        "service.instance.id": engine.owner,
        "cairn.workspace": engine.workspace,
      },
    });
  const tracer = new RunTracer({
    journal: engine.journal,
    workspace: engine.workspace,
    agents: options.agents ?? new Map(),
    sink,
    logger: engine.logger,
    content: options.content ?? env.CAIRN_OTEL_CONTENT === "1",
    secrets: secretValues(env),
  });
  const off = engine.on(tracer.listener);
  return {
    flush: async () => {
      await tracer.idle();
      await sink.flush();
    },
    shutdown: async () => {
      off();
      await tracer.idle();
      await sink.shutdown();
    },
  };
}
