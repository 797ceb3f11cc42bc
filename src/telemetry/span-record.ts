import { createHash } from "node:crypto";

/** An attribute value as OpenTelemetry takes it. */
export type AttributeValue = string | number | boolean | string[];

/**
 * One finished span, as the tracer decides it from the journal's events; a sink (otel-sink.ts)
 * hands it to the OpenTelemetry SDK. Kept free of OpenTelemetry types, so nothing is loaded
 * unless tracing is on.
 */
export interface SpanRecord {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: "internal" | "client";
  /** ms since the epoch. */
  start: number;
  end: number;
  attributes: Record<string, AttributeValue>;
  /** The span failed: its status is ERROR with this (redacted) message. */
  error?: string;
}

export interface SpanSink {
  emit(span: SpanRecord): void;
  /** Exports what is buffered. */
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

function hex(text: string, length: number): string {
  return createHash("sha256").update(text).digest("hex").slice(0, length);
}

/**
 * A run's trace id, from the id of the run at the top of its tree: every process that executes
 * any part of it (a resumed run, a child run) derives the same one, with nothing to store.
 */
export function traceIdOf(rootRunId: string): string {
  return hex(`cairn/trace/${rootRunId}`, 32);
}

/** The span of a whole run. */
export function runSpanId(runId: string): string {
  return hex(`cairn/run/${runId}`, 16);
}

/** The span of a step's committed attempt: a child run names it as its parent. */
export function stepSpanId(runId: string, stepId: string): string {
  return hex(`cairn/step/${runId}/${stepId}`, 16);
}
