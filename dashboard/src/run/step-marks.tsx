import type { StepFacts } from "./step-facts.js";

/** The small labels beside a step: reused by a fork, replayed from the journal, retried. */
export function StepMarks({ facts }: { facts: StepFacts }) {
  const retried = facts.attempts.length;
  return (
    <>
      {facts.reused ? (
        <span
          className="mark mark-reused"
          title="Reused from the run this one was forked from: not executed again"
        >
          reused
        </span>
      ) : null}
      {facts.replays > 0 ? (
        <span
          className="mark mark-replayed"
          title={`Served from the journal by ${facts.replays} later execution${facts.replays === 1 ? "" : "s"} of the run (after a wait, a restart or a crash): not executed again`}
        >
          replayed{facts.replays > 1 ? ` ×${facts.replays}` : ""}
        </span>
      ) : null}
      {retried > 0 ? (
        <span
          className="mark mark-retried"
          title={`${retried} earlier attempt${retried === 1 ? "" : "s"} did not succeed`}
        >
          {retried} retr{retried === 1 ? "y" : "ies"}
        </span>
      ) : null}
    </>
  );
}
