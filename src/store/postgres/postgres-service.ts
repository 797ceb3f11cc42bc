import type { Lease } from "../records.js";
import type { ApiKeyRecord, FeedItem, NewApiKey, SchemaState, StreamChunkBatch } from "../service-records.js";
import { PgApiKeys } from "./postgres-api-keys.js";
import { PgStreams } from "./postgres-streams.js";
import type { PgTransactions } from "./transactions.js";

/** What the HTTP service keeps on PostgreSQL (API keys, streamed progress, the feed), each call one transaction. */
export class PgService {
  private readonly apiKeys = new PgApiKeys();
  private readonly streams = new PgStreams();

  constructor(private readonly db: PgTransactions) {}

  createApiKey(key: NewApiKey): Promise<ApiKeyRecord> {
    return this.db.tx((t) => this.apiKeys.create(t.sql, key, t.now));
  }

  findApiKey(hash: string): Promise<ApiKeyRecord | undefined> {
    return this.db.read((sql) => this.apiKeys.find(sql, hash));
  }

  listApiKeys(workspace: string): Promise<ApiKeyRecord[]> {
    return this.db.read((sql) => this.apiKeys.list(sql, workspace));
  }

  revokeApiKey(workspace: string, id: string): Promise<ApiKeyRecord | undefined> {
    return this.db.tx((t) => this.apiKeys.revoke(t.sql, workspace, id, t.now));
  }

  hasApiKeys(): Promise<boolean> {
    return this.db.read((sql) => this.apiKeys.any(sql));
  }

  appendStreamChunks(lease: Lease, batch: StreamChunkBatch): Promise<void> {
    return this.db.tx((t) => this.streams.appendChunks(t, lease, batch));
  }

  readFeed(workspace: string, cursor: string | undefined, limit: number): Promise<FeedItem[]> {
    return this.db.read((sql) => this.streams.readFeed(sql, workspace, cursor, limit));
  }

  feedEnd(): Promise<string> {
    return this.db.read((sql) => this.streams.feedEnd(sql));
  }

  schemaState(): Promise<SchemaState> {
    return this.db.read((sql) => this.streams.schemaState(sql));
  }
}
