import type { EncodedPayload } from "../../shared/payload.js";
import type { SessionRange } from "../lifecycle-records.js";
import type { MemoryRecord, MemoryScope, SessionMessage } from "../records.js";
import { PgSessions } from "./postgres-sessions.js";
import type { PgTransactions } from "./transactions.js";

/**
 * Agent sessions, their inbox and agent memory on the PostgreSQL journal, each call one
 * transaction or read around PgSessions. The PostgreSQL twin of SqliteAgentState.
 */
export class PgAgentState {
  private readonly sessions = new PgSessions();

  constructor(private readonly db: PgTransactions) {}

  loadSession(
    workspace: string,
    agent: string,
    session: string,
    range?: SessionRange,
  ): Promise<SessionMessage[]> {
    return this.db.read((sql) => this.sessions.load(sql, workspace, agent, session, range));
  }

  sessionHead(workspace: string, agent: string, session: string): Promise<number> {
    return this.db.read((sql) => this.sessions.head(sql, workspace, agent, session));
  }

  appendSession(
    workspace: string,
    agent: string,
    session: string,
    runId: string,
    messages: EncodedPayload[],
  ): Promise<void> {
    return this.db.tx((t) => this.sessions.append(t.sql, workspace, agent, session, runId, messages, t.now));
  }

  pushInbox(
    workspace: string,
    agent: string,
    session: string,
    message: EncodedPayload,
    runId: string,
  ): Promise<string | undefined> {
    return this.db.tx((t) =>
      this.sessions.pushInbox(t.sql, workspace, agent, session, message, runId, t.now),
    );
  }

  takeInbox(
    workspace: string,
    agent: string,
    session: string,
    runId: string,
    stepId: string,
    seal = false,
  ): Promise<unknown[]> {
    return this.db.tx((t) =>
      this.sessions.takeInbox(t.sql, workspace, agent, session, runId, stepId, seal, t.now),
    );
  }

  saveMemory(workspace: string, scope: MemoryScope, key: string, text: string): Promise<void> {
    return this.db.tx((t) => this.sessions.saveMemory(t.sql, workspace, scope, key, text, t.now));
  }

  recallMemory(workspace: string, scope: MemoryScope, query: string, limit: number): Promise<MemoryRecord[]> {
    return this.db.read((sql) => this.sessions.recallMemory(sql, workspace, scope, query, limit));
  }

  forgetMemory(workspace: string, scope: MemoryScope, key: string): Promise<boolean> {
    return this.db.tx((t) => this.sessions.forgetMemory(t.sql, workspace, scope, key));
  }
}
