import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import type { FormEvent } from "react";
import { useClient } from "../api/api-context.js";
import { Link, navigate, path } from "../router/router.js";
import { formatAgo } from "../ui/format.js";
import { ErrorState, InlineError, Loading } from "../ui/states.js";
import { StatusBadge } from "../ui/status-badge.js";

/** One session: its conversation as stored, its runs, and a message box. */
export function SessionPage({ agent, session }: { agent: string; session: string }) {
  const client = useClient();
  const queries = useQueryClient();
  const data = useQuery({
    queryKey: ["sessions", agent, session],
    queryFn: () => client.session(agent, session),
  });
  const [message, setMessage] = useState("");
  const send = useMutation({
    mutationFn: (text: string) => client.send(agent, session, text),
    onSuccess: (sent) => {
      setMessage("");
      void queries.invalidateQueries({ queryKey: ["sessions"] });
      navigate(path("runs", sent.runId));
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (message.trim()) send.mutate(message.trim());
  };
  return (
    <section aria-labelledby="session-title">
      <p className="crumbs">
        <Link to="/sessions">Sessions</Link> / {agent}
      </p>
      <h1 id="session-title">{session}</h1>
      {data.isPending ? (
        <Loading what="the session" />
      ) : data.isError ? (
        <ErrorState error={data.error} retry={() => void data.refetch()} />
      ) : (
        <div className="run-columns">
          <section aria-labelledby="session-conversation">
            <h2 id="session-conversation">Conversation</h2>
            <ol className="conversation">
              {data.data.messages.map((m) => (
                <SessionMessage key={m.seq} message={m.message} runId={m.runId} />
              ))}
            </ol>
            <form onSubmit={submit} className="panel">
              <label htmlFor="session-message">Message {agent} in this session</label>
              <textarea
                id="session-message"
                rows={3}
                value={message}
                onChange={(e) => setMessage(e.target.value)}
              />
              <InlineError error={send.error} />
              <button type="submit" className="primary" disabled={!message.trim() || send.isPending}>
                Send
              </button>
            </form>
          </section>
          <section aria-labelledby="session-runs">
            <h2 id="session-runs">Runs</h2>
            <ol className="plain-list">
              {data.data.runs.map((r) => (
                <li key={r.id}>
                  <Link to={path("runs", r.id)} className="mono">
                    {r.id}
                  </Link>{" "}
                  <StatusBadge status={r.status} /> <span className="muted">{formatAgo(r.createdAt)}</span>
                </li>
              ))}
            </ol>
          </section>
        </div>
      )}
    </section>
  );
}

/** A stored model message ({ role, content }) as text, tool calls and results named. */
function SessionMessage({ message, runId }: { message: unknown; runId: string }) {
  const m = message as { role?: string; content?: unknown };
  const role = m.role ?? "message";
  const parts =
    typeof m.content === "string"
      ? [{ type: "text", text: m.content }]
      : Array.isArray(m.content)
        ? m.content
        : [];
  const text = (parts as { type?: string; text?: string; toolName?: string }[])
    .map((p) =>
      p.type === "text"
        ? p.text
        : p.type === "tool-call"
          ? `[calls ${p.toolName}]`
          : p.type === "tool-result"
            ? `[result of ${p.toolName}]`
            : "",
    )
    .filter(Boolean)
    .join("\n");
  return (
    <li className={`msg ${role === "user" ? "msg-user" : role === "tool" ? "msg-tool" : "msg-agent"}`}>
      <span className="who">
        {role} · <Link to={path("runs", runId)}>{runId}</Link>
      </span>
      <p>{text || "—"}</p>
    </li>
  );
}
