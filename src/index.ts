/** Cairn: a durable agent runtime. The public API; everything else is internal. */
export * from "./engine/index.js";
export * from "./agent/index.js";
export { defineConfig } from "./cli/define-config.js";
export type { CairnConfig } from "./cli/define-config.js";
export {
  CairnError,
  ErrorCode,
  NonRetriableError,
  RetryAfterError,
  InputError,
  ConfigError,
  NotFoundError,
  ConflictError,
  UnserializableError,
  PayloadTooLargeError,
  CorruptPayloadError,
  NonDeterminismError,
  LeaseLostError,
  StepTimeoutError,
  StoreError,
} from "./shared/errors.js";
export type { SerializedError } from "./shared/serialized-error.js";
export type { Duration } from "./shared/duration.js";
export { ManualClock, systemClock } from "./shared/clock.js";
export type { Clock } from "./shared/clock.js";
export type { Logger } from "./shared/logger.js";
export { stderrLogger, silentLogger } from "./shared/logger.js";
export type { Json } from "./shared/payload.js";
export * from "./store/index.js";
