import { useMutation, useQueryClient } from "@tanstack/react-query";
import type { ForkOptions, Run } from "cairn-runtime/client";
import { useState } from "react";
import type { FormEvent } from "react";
import { useClient } from "../api/api-context.js";
import { navigate, path } from "../router/router.js";
import { parseJsonField } from "../ui/json-field.js";
import { InlineError } from "../ui/states.js";
import type { StepFacts } from "./step-facts.js";

interface Props {
  run: Run;
  facts: StepFacts[];
  isAgent: boolean;
  onClose: () => void;
}

/**
 * Rerun from a step, with changes: the new run reuses every step before it (not executed or
 * paid for again) and executes from there. Changes: the input, the output of an earlier step
 * (e.g. a tool's result), and for an agent its model or instructions. The original is untouched.
 */
export function ForkForm({ run, facts, isAgent, onClose }: Props) {
  const client = useClient();
  const queries = useQueryClient();
  const [from, setFrom] = useState(
    facts.find((f) => f.step.stepId.startsWith("model#"))?.step.stepId ?? facts[0]?.step.stepId ?? "",
  );
  const [input, setInput] = useState("");
  const [replaceStep, setReplaceStep] = useState("");
  const [replacement, setReplacement] = useState("");
  const [instructions, setInstructions] = useState("");
  const [model, setModel] = useState("");
  const [problem, setProblem] = useState<string | undefined>();
  const fork = useMutation({
    mutationFn: (options: ForkOptions) => client.fork(run.id, options),
    onSuccess: ({ run: created }) => {
      void queries.invalidateQueries({ queryKey: ["runs"] });
      navigate(path("runs", created.id));
    },
  });
  const fromIndex = facts.findIndex((f) => f.step.stepId === from);
  const earlier = facts.slice(0, Math.max(0, fromIndex)).filter((f) => f.step.status === "completed");
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setProblem(undefined);
    const options: ForkOptions = { from };
    const parsedInput = parseJsonField(input, "The input");
    if (parsedInput.error) return setProblem(parsedInput.error);
    if (parsedInput.value !== undefined) options.input = parsedInput.value;
    if (replaceStep) {
      const out = parseJsonField(replacement, `The output of ${replaceStep}`);
      if (out.error) return setProblem(out.error);
      if (out.value === undefined) return setProblem(`Give the output ${replaceStep} should have, as JSON`);
      options.stepOutputs = { [replaceStep]: out.value };
    }
    if (isAgent && (instructions.trim() || model.trim())) {
      options.agent = {
        ...(instructions.trim() ? { instructions: instructions.trim() } : {}),
        ...(model.trim() ? { model: model.trim() } : {}),
      };
    }
    fork.mutate(options);
  };
  return (
    <form className="panel fork-form" onSubmit={submit} aria-labelledby="fork-title">
      <h2 id="fork-title">Rerun from a step</h2>
      <p className="muted">
        A new run reuses the steps before the one you pick, as recorded (nothing before it runs or is paid for
        again), and executes from there. This run is left as it is.
      </p>
      <label>
        From step
        <select value={from} onChange={(e) => setFrom(e.target.value)} required>
          {facts.map((f) => (
            <option key={f.step.stepId} value={f.step.stepId}>
              {f.step.stepId}
            </option>
          ))}
        </select>
      </label>
      {isAgent ? (
        <>
          <label>
            Instructions (leave empty to keep the agent&apos;s)
            <textarea rows={3} value={instructions} onChange={(e) => setInstructions(e.target.value)} />
          </label>
          <label>
            Model (provider:model; empty keeps it)
            <input
              value={model}
              onChange={(e) => setModel(e.target.value)}
              placeholder="openai:gpt-4.1-mini"
            />
          </label>
        </>
      ) : null}
      <label>
        Input (JSON; empty keeps the run&apos;s)
        <textarea
          rows={3}
          className="mono"
          value={input}
          onChange={(e) => setInput(e.target.value)}
          placeholder={JSON.stringify(run.input)}
        />
      </label>
      <label>
        Replace the output of an earlier step
        <select value={replaceStep} onChange={(e) => setReplaceStep(e.target.value)}>
          <option value="">none</option>
          {earlier.map((f) => (
            <option key={f.step.stepId} value={f.step.stepId}>
              {f.step.stepId}
            </option>
          ))}
        </select>
      </label>
      {replaceStep ? (
        <label>
          New output of {replaceStep} (JSON)
          <textarea
            rows={4}
            className="mono"
            value={replacement}
            onChange={(e) => setReplacement(e.target.value)}
          />
        </label>
      ) : null}
      {problem ? (
        <p className="inline-error" role="alert">
          {problem}
        </p>
      ) : null}
      <InlineError error={fork.error} />
      <div className="row">
        <button type="submit" className="primary" disabled={fork.isPending || !from}>
          {fork.isPending ? "Starting…" : "Start the new run"}
        </button>
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
    </form>
  );
}
