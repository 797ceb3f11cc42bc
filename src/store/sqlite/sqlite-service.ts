import type { Clock } from "../../shared/clock.js";
import type { Lease } from "../records.js";
import type { ApiKeyRecord, FeedItem, NewApiKey, SchemaState, StreamChunkBatch } from "../service-records.js";
import type { SqliteDatabase } from "./database.js";
import type { GroupCommit } from "./group-commit.js";
import { SqliteApiKeys } from "./sqlite-api-keys.js";
import type { SqliteStore } from "./sqlite-store.js";
import { SqliteStreams } from "./sqlite-streams.js";

/**
 * What the HTTP service keeps in SQLite (API keys, streamed progress, the feed, watching the
 * log), each call one of the journal's transactions or reads. The SQLite twin of PgService.
 */
export class SqliteService {
  private readonly apiKeys: SqliteApiKeys;
  private readonly streams: SqliteStreams;

  constructor(
    db: SqliteDatabase,
    store: SqliteStore,
    private readonly clock: Clock,
    private readonly writes: GroupCommit,
    private readonly read: <T>(fn: () => T) => Promise<T>,
  ) {
    this.apiKeys = new SqliteApiKeys((text) => store.sql(text));
    this.streams = new SqliteStreams(db, store);
  }

  createApiKey(key: NewApiKey): Promise<ApiKeyRecord> {
    return this.writes.tx(() => this.apiKeys.create(key, this.clock.now()));
  }

  findApiKey(hash: string): Promise<ApiKeyRecord | undefined> {
    return this.read(() => this.apiKeys.find(hash));
  }

  listApiKeys(workspace: string): Promise<ApiKeyRecord[]> {
    return this.read(() => this.apiKeys.list(workspace));
  }

  revokeApiKey(workspace: string, id: string): Promise<ApiKeyRecord | undefined> {
    return this.writes.tx(() => this.apiKeys.revoke(workspace, id, this.clock.now()));
  }

  hasApiKeys(): Promise<boolean> {
    return this.read(() => this.apiKeys.any());
  }

  appendStreamChunks(lease: Lease, batch: StreamChunkBatch): Promise<void> {
    // Grouped with the step commits of the same turn: streaming adds no fsync of its own then.
    return this.writes.grouped(() => this.streams.appendChunks(lease, batch, this.clock.now()));
  }

  readFeed(workspace: string, cursor: string | undefined, limit: number): Promise<FeedItem[]> {
    return this.read(() => this.streams.readFeed(workspace, cursor, limit));
  }

  feedEnd(workspace: string): Promise<string> {
    return this.read(() => this.streams.feedEnd(workspace));
  }

  schemaState(): Promise<SchemaState> {
    return this.read(() => this.streams.schemaState());
  }

  watchLog(workspace: string, onAppended: (runId: string | undefined) => void): () => void {
    return this.streams.watch(workspace, onAppended);
  }

  /** Stops watching the file, before the database closes. */
  stop(): void {
    this.streams.stop();
  }
}
