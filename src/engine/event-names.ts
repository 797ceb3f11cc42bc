import { ErrorCode, InputError } from "../shared/errors.js";

/**
 * Prefixes of the event names Cairn emits itself (`approval.decided`, `run.ended`, …) and keeps
 * for later ones (`cairn.*`). Nobody else may send them: a forged `approval.decided` would reach
 * every workflow and webhook that trusts it.
 */
export const RESERVED_EVENT_PREFIXES: readonly string[] = ["approval.", "run.", "step.", "cairn."];

/** Why `name` cannot be sent from outside the engine, or undefined when it can. */
export function reservedEventProblem(name: string): string | undefined {
  const prefix = RESERVED_EVENT_PREFIXES.find((p) => name.startsWith(p));
  if (prefix === undefined) return undefined;
  return (
    `the event name "${name}" is reserved: names starting with ${RESERVED_EVENT_PREFIXES.join(", ")} ` +
    `are sent by Cairn itself and cannot be sent from outside; use a name of your own (e.g. "myapp.${name}")`
  );
}

/** An InputError for a reserved name, `where` saying who tried (a step, `engine.send`). */
export function reservedEventError(name: string, where?: string): InputError | undefined {
  const problem = reservedEventProblem(name);
  if (problem === undefined) return undefined;
  return new InputError(ErrorCode.InvalidInput, where === undefined ? problem : `${where}: ${problem}`);
}
