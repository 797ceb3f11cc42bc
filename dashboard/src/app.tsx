import { useQuery } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { useApi, useClient } from "./api/api-context.js";
import { KeyForm } from "./api/key-form.js";
import { useLiveFeed } from "./api/use-live-feed.js";
import { ApprovalsPage } from "./approvals/approvals-page.js";
import { ComparePage } from "./compare/compare-page.js";
import { Link, match, useLocation } from "./router/router.js";
import { RunPage } from "./run/run-page.js";
import { RunsPage } from "./runs/runs-page.js";
import { SessionPage } from "./sessions/session-page.js";
import { SessionsPage } from "./sessions/sessions-page.js";
import { StartPage } from "./start/start-page.js";
import { Empty } from "./ui/states.js";
import { UsagePage } from "./usage/usage-page.js";

/** The pages, by path. */
function page(path: string): ReactNode {
  if (path === "/" || path === "/runs") return <RunsPage />;
  let m = match("/runs/:id", path);
  if (m) return <RunPage key={m.id} runId={m.id!} />;
  if (path === "/compare") return <ComparePage />;
  if (path === "/approvals") return <ApprovalsPage />;
  if (path === "/sessions") return <SessionsPage />;
  m = match("/sessions/:agent/:session", path);
  if (m) return <SessionPage agent={m.agent!} session={m.session!} />;
  if (path === "/usage") return <UsagePage />;
  if (path === "/start") return <StartPage />;
  return (
    <Empty title={`No page at ${path}`}>
      <Link to="/runs">See the runs</Link>
    </Empty>
  );
}

const NAV = [
  {
    to: "/runs",
    label: "Runs",
    active: (p: string) => p === "/" || p.startsWith("/runs") || p === "/compare",
  },
  { to: "/approvals", label: "Approvals", active: (p: string) => p === "/approvals" },
  { to: "/sessions", label: "Sessions", active: (p: string) => p.startsWith("/sessions") },
  { to: "/usage", label: "Usage", active: (p: string) => p === "/usage" },
  { to: "/start", label: "Start", active: (p: string) => p === "/start" },
];

export function App() {
  const { needsKey, hasKey, setKey } = useApi();
  const { path } = useLocation();
  const feed = useLiveFeed();
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="top">
        <Link to="/runs" className="brand" aria-label="Cairn, runs">
          <img src="/favicon.svg" alt="" width="22" height="22" />
          Cairn
        </Link>
        <nav aria-label="Main">
          <ul>
            {NAV.map((n) => (
              <li key={n.to}>
                <Link to={n.to} aria-current={n.active(path) ? "page" : undefined}>
                  {n.label}
                  {n.to === "/approvals" && !needsKey ? <PendingCount /> : null}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <div className="top-end">
          <span className={`live live-${feed}`} title="Updates from the workspace feed">
            {feed === "live" ? "live" : feed === "connecting" ? "connecting…" : "not live"}
          </span>
          {hasKey ? (
            <button type="button" className="link-button" onClick={() => setKey(undefined)}>
              Forget key
            </button>
          ) : null}
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {needsKey ? <KeyForm /> : page(path)}
      </main>
    </>
  );
}

/** How many approvals wait, beside the nav link. */
function PendingCount() {
  const client = useClient();
  const pending = useQuery({ queryKey: ["approvals", "pending"], queryFn: () => client.approvals() });
  const n = pending.data?.length ?? 0;
  if (n === 0) return null;
  return (
    <span className="count" aria-label={`${n} pending`}>
      {n}
    </span>
  );
}
