import type { Run } from "cairn-runtime/client";
import { Link, path } from "../router/router.js";
import { formatValue } from "../ui/format.js";
import { JsonView } from "../ui/json-view.js";
import type { StepFacts } from "./step-facts.js";
import { imagesIn, toolStepName, withoutImages } from "./step-facts.js";

interface Props {
  run: Run;
  facts: StepFacts[];
  live: ReadonlyMap<string, { text: string }>;
  /** Steps started and not ended yet (from the run's log), for the answer being written. */
  inProgress: readonly string[];
}

/**
 * An agent run as a person reads it: the message, then each model answer with the tool calls
 * it made, each call's result (and the images it made) or the approval it waits for, and the
 * answer being written right now, token by token.
 */
export function Conversation({ run, facts, live, inProgress }: Props) {
  const input = run.input as { message?: unknown; earlier?: unknown } | undefined;
  const earlier = Array.isArray(input?.earlier) ? input.earlier.filter((m) => typeof m === "string") : [];
  const known = new Set(facts.map((f) => f.step.stepId));
  // A model call whose step the details do not list yet: its tokens still show.
  const writing = inProgress.filter((id) => /^(model|turn)(#\d+)?$/.test(id) && !known.has(id));
  return (
    <ol className="conversation" aria-label="Conversation">
      {[...earlier, input?.message].map((m, i) =>
        typeof m === "string" ? (
          <li key={`user-${i}`} className="msg msg-user">
            <span className="who">Message</span>
            <p>{m}</p>
          </li>
        ) : null,
      )}
      {facts.map((f) => (
        <Turn key={f.step.stepId} facts={f} live={live.get(f.step.stepId)?.text} />
      ))}
      {writing.map((id) => (
        <LiveAnswer key={id} stepId={id} text={live.get(id)?.text} />
      ))}
    </ol>
  );
}

/** The answer a model is writing now, as its tokens arrive. */
function LiveAnswer({ stepId, text }: { stepId: string; text: string | undefined }) {
  return (
    <li className="msg msg-agent msg-live" data-step-id={stepId}>
      <span className="who">Agent · {stepId} · writing</span>
      <p className="live-text" aria-live="polite">
        {text ?? ""}
        <span className="caret" aria-hidden="true" />
      </p>
    </li>
  );
}

function Turn({ facts, live }: { facts: StepFacts; live: string | undefined }) {
  const { step, turn } = facts;
  const named = toolStepName(step.stepId);
  if (turn) {
    return (
      <li className="msg msg-agent" data-step-id={step.stepId}>
        <span className="who">
          Agent · {step.stepId}
          {turn.model ? ` · ${turn.model}` : ""}
        </span>
        {turn.text ? <p>{turn.text}</p> : null}
        {turn.toolCalls.map((c, i) => (
          <div key={c.id} className="tool-call">
            <span className="tool-name">calls {c.name}</span>
            <JsonView value={c.input} label={`Arguments of ${c.name}`} />
            {facts.outcomes?.[i] ? <Outcome outcome={facts.outcomes[i]} /> : null}
          </div>
        ))}
      </li>
    );
  }
  if (/^(model|turn)(#\d+)?$/.test(step.stepId) && step.endedAt === null)
    return <LiveAnswer stepId={step.stepId} text={live} />;
  if (named?.prefix === "tool") {
    const images = step.status === "completed" ? imagesIn(step.output) : [];
    return (
      <li className="msg msg-tool" data-step-id={step.stepId}>
        <span className="who">Result of {named.tool}</span>
        {step.status === "completed" ? (
          <JsonView value={withoutImages(step.output)} label={`Result of ${named.tool}`} />
        ) : step.error ? (
          <p className="error-text">{step.error.message}</p>
        ) : (
          <p className="muted">running…</p>
        )}
        {images.map((src, i) => (
          <img key={i} className="tool-image" src={src} alt={`Image made by ${named.tool}`} />
        ))}
      </li>
    );
  }
  if (named?.prefix === "approve") return <ApprovalLine facts={facts} tool={named.tool} />;
  if (step.kind === "invoke") {
    return (
      <li className="msg msg-tool" data-step-id={step.stepId}>
        <span className="who">Asked another agent · {step.stepId}</span>
        {step.status === "completed" ? (
          <p>{formatValue(answerText(step.output))}</p>
        ) : (
          <p className="muted">waiting…</p>
        )}
      </li>
    );
  }
  return null;
}

function ApprovalLine({ facts, tool }: { facts: StepFacts; tool: string }) {
  const { step } = facts;
  const a = step.output as { status?: string; decidedBy?: string | null; reason?: string | null } | undefined;
  if (step.status !== "completed") {
    return (
      <li className="msg msg-approval" data-step-id={step.stepId}>
        <span className="who">Approval</span>
        <p>
          Waiting for a person to approve this call of <strong>{tool}</strong>.{" "}
          <Link to={path("approvals")}>Open the approvals inbox</Link>
        </p>
      </li>
    );
  }
  return (
    <li className={`msg msg-approval approval-${a?.status ?? "decided"}`} data-step-id={step.stepId}>
      <span className="who">Approval</span>
      <p>
        {tool}: <strong>{a?.status ?? "decided"}</strong>
        {a?.decidedBy ? ` by ${a.decidedBy}` : ""}
        {a?.reason ? ` — “${a.reason}”` : ""}
      </p>
    </li>
  );
}

function Outcome({ outcome }: { outcome: { ok: boolean; output?: unknown; error?: string } }) {
  const images = outcome.ok ? imagesIn(outcome.output) : [];
  return (
    <div className="tool-result">
      <span className="who">{outcome.ok ? "result" : "error"}</span>
      {outcome.ok ? (
        <JsonView value={withoutImages(outcome.output)} />
      ) : (
        <p className="error-text">{outcome.error}</p>
      )}
      {images.map((src, i) => (
        <img key={i} className="tool-image" src={src} alt="Image made by the tool" />
      ))}
    </div>
  );
}

function answerText(output: unknown): unknown {
  const o = output as { text?: unknown } | undefined;
  return typeof o?.text === "string" ? o.text : output;
}
