import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import type { FormEvent } from "react";
import { useClient } from "../api/api-context.js";
import { navigate, path, useLocation } from "../router/router.js";
import { SendEvent } from "../run/run-actions.js";
import { useWorkflows } from "../runs/use-workflows.js";
import { parseJsonField } from "../ui/json-field.js";
import { Empty, ErrorState, InlineError, Loading } from "../ui/states.js";

/** Start a workflow (with a JSON input) or an agent (with a message, in a session or not); send an event. */
export function StartPage() {
  const client = useClient();
  const queries = useQueryClient();
  const workflows = useWorkflows();
  const { query } = useLocation();
  const [name, setName] = useState(query.get("workflow") ?? "");
  const [message, setMessage] = useState("");
  const [session, setSession] = useState("");
  const [input, setInput] = useState("");
  const [problem, setProblem] = useState<string | undefined>();
  const chosen = workflows.data?.find((w) => w.name === name) ?? workflows.data?.[0];
  const start = useMutation({
    mutationFn: async (): Promise<string> => {
      if (!chosen) throw new Error("Pick what to start");
      if (chosen.kind === "agent" && session.trim())
        return (await client.send(chosen.name, session.trim(), message.trim())).runId;
      if (chosen.kind === "agent")
        return (await client.start(chosen.name, { message: message.trim() })).run.id;
      const parsed = parseJsonField(input, "The input");
      if (parsed.error) throw new Error(parsed.error);
      return (await client.start(chosen.name, parsed.value ?? {})).run.id;
    },
    onSuccess: (runId) => {
      void queries.invalidateQueries({ queryKey: ["runs"] });
      navigate(path("runs", runId));
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setProblem(undefined);
    if (chosen?.kind === "agent" && !message.trim()) return setProblem("Write the message for the agent");
    start.mutate();
  };
  return (
    <section aria-labelledby="start-title">
      <h1 id="start-title">Start a run</h1>
      {workflows.isPending ? (
        <Loading what="workflows" />
      ) : workflows.isError ? (
        <ErrorState error={workflows.error} retry={() => void workflows.refetch()} />
      ) : workflows.data.length === 0 ? (
        <Empty title="This server has no workflows or agents">
          <p>
            Add them to <code>cairn.config.ts</code>; <code>cairn dev</code> reloads it.
          </p>
        </Empty>
      ) : (
        <form className="panel start-form" onSubmit={submit}>
          <label>
            Workflow or agent
            <select value={chosen?.name ?? ""} onChange={(e) => setName(e.target.value)}>
              {workflows.data.map((w) => (
                <option key={w.name} value={w.name}>
                  {w.name} ({w.kind}
                  {w.model ? `, ${w.model}` : ""})
                </option>
              ))}
            </select>
          </label>
          {chosen?.kind === "agent" ? (
            <>
              {chosen.tools.length > 0 ? (
                <p className="muted">
                  Tools:{" "}
                  {chosen.tools
                    .map((t) => `${t.name}${t.needsApproval ? " (needs approval)" : ""}`)
                    .join(", ")}
                </p>
              ) : null}
              <label>
                Message
                <textarea
                  rows={3}
                  value={message}
                  onChange={(e) => setMessage(e.target.value)}
                  placeholder="What should the agent do?"
                />
              </label>
              <label>
                Session (optional: the conversation goes on across messages)
                <input
                  value={session}
                  onChange={(e) => setSession(e.target.value)}
                  placeholder="e.g. support-42"
                />
              </label>
            </>
          ) : (
            <label>
              Input (JSON)
              <textarea
                rows={4}
                className="mono"
                value={input}
                onChange={(e) => setInput(e.target.value)}
                placeholder="{}"
              />
            </label>
          )}
          {problem ? (
            <p className="inline-error" role="alert">
              {problem}
            </p>
          ) : null}
          <InlineError error={start.error} />
          <button type="submit" className="primary" disabled={start.isPending}>
            {start.isPending ? "Starting…" : chosen?.kind === "agent" ? "Send to the agent" : "Start the run"}
          </button>
        </form>
      )}
      <h2>Send an event</h2>
      <p className="muted">Resumes the runs waiting for it and starts the workflows it triggers.</p>
      <SendEvent />
    </section>
  );
}
