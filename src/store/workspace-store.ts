/**
 * Content-addressed storage for run workspaces and skill folders, beside the journal and in the
 * same database, so a run resumed on another machine finds its files where its steps are.
 *
 * Contract, beyond the types:
 * - Objects are immutable and keyed by their hash: storing one twice stores it once.
 * - A pin says which snapshot (tree hash) a run's step left behind. A pin counts only once its
 *   step has committed (completed or failed): a step that never committed left nothing behind.
 * - Every read and write is scoped to one workspace (tenant).
 */
export interface WorkspaceStore {
  /** The hashes among `hashes` already stored. */
  hasObjects(workspace: string, hashes: readonly string[]): Promise<Set<string>>;
  /** Stores objects not stored yet; returns the bytes newly stored. */
  putObjects(workspace: string, objects: readonly StoredObject[], at: number): Promise<number>;
  /** The stored objects among `hashes` (missing ones are left out). */
  getObjects(workspace: string, hashes: readonly string[]): Promise<Map<string, StoredObject>>;
  /**
   * Records that `pin.stepId` of `pin.runId` left `pin.root` behind. Pinning the same step again
   * replaces its pin, which becomes the run's newest.
   */
  pin(workspace: string, pin: NewPin, at: number): Promise<void>;
  /**
   * The run's newest pin of `kind` whose step has committed; with `throughStepId`, the newest
   * among steps up to that one in the run's order. Throws NotFoundError for an unknown step.
   */
  latestPin(
    workspace: string,
    runId: string,
    kind: PinKind,
    throughStepId?: string,
  ): Promise<PinRecord | undefined>;
  /** Copies `fromRunId`'s pins of steps up to `throughStepId` to `toRunId` (a fork); returns how many. */
  copyPins(workspace: string, fromRunId: string, toRunId: string, throughStepId: string): Promise<number>;
  /** Takes back a copy for a fork that was never created: `runId`'s pins, unless the run exists. */
  dropPinsOfMissingRun(workspace: string, runId: string): Promise<number>;
  /**
   * Drops the pins of runs that no longer exist, and of runs that ended before `endedBefore`;
   * returns how many.
   */
  prunePins(workspace: string, options: { endedBefore?: number }): Promise<number>;
  /** Every root still pinned. */
  pinnedRoots(workspace: string): Promise<string[]>;
  /** Hashes and sizes of objects stored before `createdBefore`. */
  listObjects(workspace: string, createdBefore: number): Promise<{ hash: string; size: number }[]>;
  deleteObjects(workspace: string, hashes: readonly string[]): Promise<void>;
}

export type PinKind = "files" | "skills";

export interface StoredObject {
  hash: string;
  kind: "blob" | "tree";
  data: Buffer;
}

export interface NewPin {
  runId: string;
  stepId: string;
  kind: PinKind;
  root: string;
}

export interface PinRecord extends NewPin {
  seq: number;
  createdAt: number;
}
