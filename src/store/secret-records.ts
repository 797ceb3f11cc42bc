/**
 * Sealed secrets, as the store keeps them: the store never sees a plaintext value, only what
 * envelope encryption made of it (see src/shared/envelope-crypto.ts and src/store/vault.ts).
 */

/** A secret's scope: its workspace, and the end user it belongs to (null: the whole workspace). */
export interface SecretScope {
  workspace: string;
  user: string | null;
  name: string;
}

export type SecretKind = "value" | "oauth";

/** What listing shows: never the value, sealed or not. */
export interface SecretInfo extends SecretScope {
  kind: SecretKind;
  /** The master key that wraps it. */
  keyId: string;
  createdAt: number;
  updatedAt: number;
}

export interface SealedSecretRow extends SecretInfo {
  ciphertext: string;
  wrappedKey: string;
}

export interface NewSealedSecret extends SecretScope {
  kind: SecretKind;
  ciphertext: string;
  wrappedKey: string;
  keyId: string;
}

/** A data key sealed again under a new master key (`cairn secrets rotate-key`). */
export interface RewrappedKey extends SecretScope {
  wrappedKey: string;
  keyId: string;
}

/** The store's part of the vault; both stores implement it (test/store/conformance/secrets.ts). */
export interface SecretRows {
  /** Stores or replaces the secret of this scope and name (creating the workspace if new). */
  put(secret: NewSealedSecret): Promise<SecretInfo>;
  /** Exactly this scope: a user's secret is never returned for another user or for null. */
  get(scope: SecretScope): Promise<SealedSecretRow | undefined>;
  /** The workspace's secrets, by user (workspace-wide first) then name; `user` filters to one scope. */
  list(workspace: string, filter?: { user?: string | null }): Promise<SecretInfo[]>;
  /** False when there was no such secret. */
  remove(scope: SecretScope): Promise<boolean>;
  /** Every sealed row of every workspace: what a master key rotation re-wraps. */
  all(): Promise<SealedSecretRow[]>;
  /**
   * Replaces wrapped data keys in one transaction, each only while its row is still wrapped by
   * `fromKeyId`; returns how many rows changed.
   */
  rewrap(keys: RewrappedKey[], fromKeyId: string): Promise<number>;
}

/** A `secrets` row, alike in both stores (user_id '' for a workspace-wide secret). */
export interface SecretRow {
  workspace: string;
  user_id: string;
  name: string;
  kind: string;
  ciphertext: string;
  wrapped_key: string;
  key_id: string;
  created_at: number | string;
  updated_at: number | string;
}

export function toSealedSecret(row: SecretRow): SealedSecretRow {
  return {
    workspace: row.workspace,
    user: row.user_id === "" ? null : row.user_id,
    name: row.name,
    kind: row.kind === "oauth" ? "oauth" : "value",
    keyId: row.key_id,
    ciphertext: row.ciphertext,
    wrappedKey: row.wrapped_key,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

export function toSecretInfo(row: SecretRow): SecretInfo {
  const { ciphertext: _c, wrappedKey: _w, ...info } = toSealedSecret(row);
  return info;
}

/** The column value for a scope's user. */
export function userColumn(user: string | null): string {
  return user ?? "";
}
