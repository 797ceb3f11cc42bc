import type { ForkOrigin, NewRun, StepRecord } from "./records.js";

/** A run to create as a fork (see Journal.forkRun). */
export type ForkedRun = NewRun & { forkedFrom: ForkOrigin };

/** Which part of a session's conversation to load. */
export interface SessionRange {
  /** Messages up to this seq (a run reads the session as it was when the run began). */
  upTo?: number;
  /** Only the last this many of them. */
  last?: number;
}

/** What `collectGarbage` removed. */
export interface GarbageCollected {
  blobs: number;
  bytes: number;
}

/** Which steps `scanSteps` reads: by name, of runs created in a window. */
export interface StepScan {
  /** Step names; `model` matches the steps `model`, `model#2`, … */
  names: readonly string[];
  /** Runs created at or after this time (ms). */
  createdAfter: number;
  /** Runs created before this time (ms). */
  createdBefore: number;
  /** At most this many steps, oldest runs first. */
  limit: number;
}

export interface ScannedStep {
  runId: string;
  workflow: string;
  step: StepRecord;
}
