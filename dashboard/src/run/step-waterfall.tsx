import type { RunDetail } from "cairn-runtime/client";
import { useState } from "react";
import { formatCost, formatDuration, formatTokens } from "../ui/format.js";
import { StatusBadge } from "../ui/status-badge.js";
import { ChildRun } from "./child-run.js";
import { StepDetail } from "./step-detail.js";
import type { StepFacts } from "./step-facts.js";
import { StepMarks } from "./step-marks.js";

interface Props {
  detail: RunDetail;
  facts: StepFacts[];
  live: ReadonlyMap<string, { text: string }>;
  now: number;
  /** Nesting depth: child runs draw their own waterfall inside their parent's step. */
  depth?: number;
}

/**
 * The run's steps on one time axis: each bar from the step's start to its end (earlier failed
 * attempts drawn before it), so waits, retries and slow calls show at a glance. A row opens to
 * the step's details; an `invoke` step holds its child run's waterfall.
 */
export function StepWaterfall({ detail, facts, live, now, depth = 0 }: Props) {
  const [open, setOpen] = useState<ReadonlySet<string>>(new Set());
  const { run } = detail;
  const t0 = run.startedAt ?? run.createdAt;
  const ends = facts.map((f) => f.step.endedAt ?? now);
  const t1 = Math.max(run.endedAt ?? now, ...ends, t0 + 1);
  const span = t1 - t0;
  const pos = (t: number) => `${Math.min(100, Math.max(0, ((t - t0) / span) * 100)).toFixed(2)}%`;
  const width = (a: number, b: number) => `${Math.max(0.4, ((b - a) / span) * 100).toFixed(2)}%`;
  const toggle = (id: string) =>
    setOpen((s) => {
      const next = new Set(s);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  const childrenOf = (stepId: string) => detail.children.filter((c) => c.parentStepId === stepId);
  const unplaced = detail.children.filter((c) => !facts.some((f) => f.step.stepId === c.parentStepId));
  return (
    <div className="waterfall" data-depth={depth}>
      <ol className="steps" aria-label={depth === 0 ? "Steps" : `Steps of ${run.id}`}>
        {facts.map((f) => {
          const s = f.step;
          const end = s.endedAt ?? now;
          const isOpen = open.has(s.stepId);
          const tokens = f.turn?.usage ? f.turn.usage.input + f.turn.usage.output : undefined;
          return (
            <li
              key={s.stepId}
              className={`step step-${s.status}${f.reused ? " is-reused" : ""}`}
              data-step-id={s.stepId}
              data-status={s.status}
            >
              <div className="step-row">
                <button
                  type="button"
                  className="step-name"
                  aria-expanded={isOpen}
                  onClick={() => toggle(s.stepId)}
                >
                  <span className="chevron" aria-hidden="true">
                    {isOpen ? "▾" : "▸"}
                  </span>
                  <span className="mono">{s.stepId}</span>
                </button>
                <span className="step-status">
                  <StatusBadge status={s.status} />
                  <StepMarks facts={f} />
                </span>
                <span className="bar-track" aria-hidden="true">
                  {f.attempts.map((a) => (
                    <span
                      key={a.attempt}
                      className="bar bar-attempt"
                      style={{ left: pos(a.startedAt), width: width(a.startedAt, a.endedAt) }}
                    />
                  ))}
                  <span
                    className={`bar bar-${s.status}${f.reused ? " bar-reused" : ""}`}
                    style={{ left: pos(s.startedAt), width: width(s.startedAt, end) }}
                  />
                </span>
                <span className="step-took">{s.endedAt ? formatDuration(s.endedAt - s.startedAt) : "…"}</span>
                <span className="step-usage">
                  {tokens === undefined
                    ? ""
                    : f.reused
                      ? `${formatTokens(tokens)} tok, reused`
                      : `${formatTokens(tokens)} tok · ${formatCost(f.turn?.cost)}`}
                </span>
              </div>
              {isOpen ? <StepDetail facts={f} live={live.get(s.stepId)?.text} /> : null}
              {childrenOf(s.stepId).map((c) => (
                <ChildRun key={c.id} summary={c} depth={depth + 1} />
              ))}
            </li>
          );
        })}
      </ol>
      {unplaced.length > 0 ? (
        <div className="unplaced-children">
          {unplaced.map((c) => (
            <ChildRun key={c.id} summary={c} depth={depth + 1} />
          ))}
        </div>
      ) : null}
    </div>
  );
}
