import type { Context } from "@opentelemetry/api";
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, trace } from "@opentelemetry/api";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import type { IdGenerator } from "@opentelemetry/sdk-trace-base";
import { BasicTracerProvider, BatchSpanProcessor, RandomIdGenerator } from "@opentelemetry/sdk-trace-base";
import type { SpanRecord, SpanSink } from "./span-record.js";

/**
 * Ids the tracer chose (derived from run and step ids), handed to the SDK for the span being
 * started; random ones otherwise. Spans start synchronously, one at a time, so this is safe.
 */
class ChosenIds implements IdGenerator {
  next: { traceId: string; spanId: string } | undefined;
  private readonly random = new RandomIdGenerator();
  generateTraceId(): string {
    return this.next?.traceId ?? this.random.generateTraceId();
  }
  generateSpanId(): string {
    return this.next?.spanId ?? this.random.generateSpanId();
  }
}

export interface OtlpSinkOptions {
  /** The OTLP/HTTP traces URL (…/v1/traces). */
  url: string;
  /** Resource attributes (service.name, …). */
  resource: Record<string, string>;
  /** How long spans wait to be sent in a batch, ms. Default $OTEL_BSP_SCHEDULE_DELAY or 500. */
  delayMs?: number;
}

/**
 * Spans exported over OTLP/HTTP (JSON) by the OpenTelemetry SDK: this module is loaded only when
 * tracing is on, so the SDK costs nothing to a process that does not trace.
 */
export function otlpSink(options: OtlpSinkOptions): SpanSink {
  const ids = new ChosenIds();
  const exporter = new OTLPTraceExporter({ url: options.url });
  const envDelay = Number(process.env.OTEL_BSP_SCHEDULE_DELAY);
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes(options.resource),
    idGenerator: ids,
    spanProcessors: [
      new BatchSpanProcessor(exporter, {
        scheduledDelayMillis: options.delayMs ?? (Number.isFinite(envDelay) && envDelay > 0 ? envDelay : 500),
      }),
    ],
  });
  const tracer = provider.getTracer("cairn-runtime");
  return {
    emit(span: SpanRecord): void {
      let context: Context = ROOT_CONTEXT;
      if (span.parentSpanId !== undefined)
        context = trace.setSpanContext(ROOT_CONTEXT, {
          traceId: span.traceId,
          spanId: span.parentSpanId,
          traceFlags: TraceFlags.SAMPLED,
          isRemote: true,
        });
      ids.next = { traceId: span.traceId, spanId: span.spanId };
      let started;
      try {
        started = tracer.startSpan(
          span.name,
          {
            kind: span.kind === "client" ? SpanKind.CLIENT : SpanKind.INTERNAL,
            startTime: span.start,
            attributes: span.attributes,
          },
          context,
        );
      } finally {
        ids.next = undefined;
      }
      if (span.error !== undefined) started.setStatus({ code: SpanStatusCode.ERROR, message: span.error });
      started.end(span.end);
    },
    flush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}
