import { formatCost, formatDuration, formatTime } from "../ui/format.js";
import { JsonView } from "../ui/json-view.js";
import { StatusBadge } from "../ui/status-badge.js";
import type { StepFacts } from "./step-facts.js";
import { imagesIn, withoutImages } from "./step-facts.js";

/** One step opened: its input, output or error, each attempt, and its timing, tokens and cost. */
export function StepDetail({ facts, live }: { facts: StepFacts; live: string | undefined }) {
  const { step, turn } = facts;
  const images = step.status === "completed" ? imagesIn(step.output) : [];
  return (
    <div className="step-detail">
      <dl className="facts">
        <dt>Kind</dt>
        <dd>{step.kind}</dd>
        <dt>Started</dt>
        <dd>{formatTime(step.startedAt)}</dd>
        <dt>Took</dt>
        <dd>{step.endedAt ? formatDuration(step.endedAt - step.startedAt) : "still going"}</dd>
        <dt>Attempt</dt>
        <dd>{step.attempt}</dd>
        {turn?.model ? (
          <>
            <dt>Model</dt>
            <dd className="mono">{turn.model}</dd>
          </>
        ) : null}
        {turn?.usage ? (
          <>
            <dt>Tokens</dt>
            <dd>
              {turn.usage.input} in · {turn.usage.output} out
              {turn.usage.cached ? ` · ${turn.usage.cached} cached` : ""}
            </dd>
            <dt>Cost</dt>
            <dd>{formatCost(turn.cost)}</dd>
          </>
        ) : null}
      </dl>
      {facts.input !== undefined ? (
        <>
          <h4>Input</h4>
          <JsonView value={facts.input} label={`Input of ${step.stepId}`} />
        </>
      ) : turn ? (
        <p className="muted">Input: the conversation so far (see the conversation).</p>
      ) : null}
      {step.status === "completed" ? (
        <>
          <h4>Output</h4>
          <JsonView value={withoutImages(step.output)} label={`Output of ${step.stepId}`} />
          {images.map((src, i) => (
            <img key={i} className="tool-image" src={src} alt={`Image made by ${step.stepId}`} />
          ))}
        </>
      ) : live ? (
        <>
          <h4>Streaming</h4>
          <p className="live-text">{live}</p>
        </>
      ) : null}
      {step.error ? (
        <>
          <h4>Error</h4>
          <p className="error-text">
            {step.error.name}: {step.error.message}
            {step.error.code ? <span className="mono"> ({step.error.code})</span> : null}
          </p>
        </>
      ) : null}
      {facts.attempts.length > 0 ? (
        <>
          <h4>Earlier attempts</h4>
          <ol className="attempts">
            {facts.attempts.map((a) => (
              <li key={a.attempt}>
                <StatusBadge status={a.outcome} /> attempt {a.attempt},{" "}
                {formatDuration(a.endedAt - a.startedAt)}
                {a.error ? `: ${a.error.message}` : ""}
              </li>
            ))}
          </ol>
        </>
      ) : null}
    </div>
  );
}
