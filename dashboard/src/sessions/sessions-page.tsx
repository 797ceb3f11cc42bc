import { useQuery } from "@tanstack/react-query";
import { useClient } from "../api/api-context.js";
import { Link, path } from "../router/router.js";
import { formatAgo } from "../ui/format.js";
import { Empty, ErrorState, Loading } from "../ui/states.js";
import { StatusBadge } from "../ui/status-badge.js";

/** Agent sessions, the most recently active first. */
export function SessionsPage() {
  const client = useClient();
  const sessions = useQuery({ queryKey: ["sessions"], queryFn: () => client.sessions() });
  return (
    <section aria-labelledby="sessions-title">
      <div className="page-head">
        <h1 id="sessions-title">Sessions</h1>
        <Link to="/start" className="button">
          Message an agent
        </Link>
      </div>
      {sessions.isPending ? (
        <Loading what="sessions" />
      ) : sessions.isError ? (
        <ErrorState error={sessions.error} retry={() => void sessions.refetch()} />
      ) : sessions.data.length === 0 ? (
        <Empty title="No sessions yet">
          <p>
            A session is a conversation with an agent that goes on across runs. Start one by{" "}
            <Link to="/start">messaging an agent</Link> with a session name, or from your app with{" "}
            <code>POST /v1/sessions/AGENT/SESSION/messages</code>.
          </p>
        </Empty>
      ) : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Session</th>
                <th scope="col">Agent</th>
                <th scope="col">Runs</th>
                <th scope="col">Latest</th>
                <th scope="col">Active</th>
              </tr>
            </thead>
            <tbody>
              {sessions.data.map((s) => (
                <tr key={`${s.agent}/${s.session}`}>
                  <td>
                    <Link to={path("sessions", s.agent, s.session)}>{s.session}</Link>
                  </td>
                  <td>{s.agent}</td>
                  <td>{s.runs}</td>
                  <td>
                    <StatusBadge status={s.lastStatus} />
                  </td>
                  <td>{formatAgo(s.lastAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
