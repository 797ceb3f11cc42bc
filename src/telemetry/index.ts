export { startTracing } from "./start-tracing.js";
export type { Tracing, TracingOptions } from "./start-tracing.js";
export type { SpanRecord, SpanSink, AttributeValue } from "./span-record.js";
export { traceIdOf, runSpanId, stepSpanId } from "./span-record.js";
export { redactText } from "./redact.js";
