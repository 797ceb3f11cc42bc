import type { Statement } from "better-sqlite3";
import type { Clock } from "../../shared/clock.js";
import type { EncodedPayload } from "../../shared/payload.js";
import type { SessionRange } from "../lifecycle-records.js";
import type { MemoryRecord, MemoryScope, SessionMessage } from "../records.js";
import type { GroupCommit } from "./group-commit.js";
import { SqliteSessions } from "./sqlite-sessions.js";

/**
 * Agent sessions, their inbox and agent memory on the SQLite journal, each call one of the
 * journal's transactions or reads around SqliteSessions. The SQLite twin of PgAgentState.
 */
export class SqliteAgentState {
  private readonly sessions: SqliteSessions;

  constructor(
    sql: (text: string) => Statement,
    clock: Clock,
    private readonly writes: GroupCommit,
    private readonly read: <T>(fn: () => T) => Promise<T>,
  ) {
    this.sessions = new SqliteSessions(sql, () => clock.now());
  }

  loadSession(
    workspace: string,
    agent: string,
    session: string,
    range?: SessionRange,
  ): Promise<SessionMessage[]> {
    return this.read(() => this.sessions.load(workspace, agent, session, range));
  }

  sessionHead(workspace: string, agent: string, session: string): Promise<number> {
    return this.read(() => this.sessions.head(workspace, agent, session));
  }

  appendSession(
    workspace: string,
    agent: string,
    session: string,
    runId: string,
    messages: EncodedPayload[],
  ): Promise<void> {
    return this.writes.tx(() => this.sessions.append(workspace, agent, session, runId, messages));
  }

  pushInbox(
    workspace: string,
    agent: string,
    session: string,
    message: EncodedPayload,
    runId: string,
  ): Promise<string | undefined> {
    return this.writes.tx(() => this.sessions.pushInbox(workspace, agent, session, message, runId));
  }

  takeInbox(
    workspace: string,
    agent: string,
    session: string,
    runId: string,
    stepId: string,
    seal = false,
  ): Promise<unknown[]> {
    return this.writes.tx(() => this.sessions.takeInbox(workspace, agent, session, runId, stepId, seal));
  }

  saveMemory(workspace: string, scope: MemoryScope, key: string, text: string): Promise<void> {
    return this.writes.tx(() => this.sessions.saveMemory(workspace, scope, key, text));
  }

  recallMemory(workspace: string, scope: MemoryScope, query: string, limit: number): Promise<MemoryRecord[]> {
    return this.read(() => this.sessions.recallMemory(workspace, scope, query, limit));
  }

  forgetMemory(workspace: string, scope: MemoryScope, key: string): Promise<boolean> {
    return this.writes.tx(() => this.sessions.forgetMemory(workspace, scope, key));
  }
}
