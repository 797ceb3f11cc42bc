import type { MasterKey } from "../shared/envelope-crypto.js";
import { rewrap, seal, unseal } from "../shared/envelope-crypto.js";
import { CairnError, ErrorCode, InputError } from "../shared/errors.js";
import type { MasterKeySource } from "../shared/master-key.js";
import { loadMasterKey } from "../shared/master-key.js";
import type { SecretInfo, SecretKind, SecretRows, SecretScope, SealedSecretRow } from "./secret-records.js";

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const USER = /^[^\s\0][^\0]{0,199}$/;

/** A secret's value and the scope it was found in. */
export interface ResolvedSecret {
  value: string;
  kind: SecretKind;
  /** The user it belongs to, or null for a workspace-wide secret. */
  user: string | null;
}

/**
 * The credential vault: secrets scoped to a workspace and optionally an end user, sealed by
 * envelope encryption (AES-256-GCM; a data key per secret wrapped by the master key) before they
 * reach the store. The master key is read on first use, so a vault that is never opened needs none.
 *
 * @example
 * const vault = new Vault(journal.secrets);
 * await vault.set({ workspace: "default", user: "ada", name: "github" }, token);
 * const { value } = await vault.resolve("default", "github", "ada");
 */
export class Vault {
  private key: MasterKey | undefined;

  constructor(
    private readonly rows: SecretRows,
    private readonly source: MasterKeySource = {},
  ) {}

  /** The master key in use; `create` makes the key file when there is none. */
  masterKey(create = false): MasterKey {
    this.key ??= loadMasterKey(this.source, { create });
    return this.key;
  }

  /** Stores (or replaces) a secret; the key file is created on the first one if there is no key. */
  async set(scope: SecretScope, value: string, kind: SecretKind = "value"): Promise<SecretInfo> {
    checkScope(scope);
    if (value === "")
      throw new InputError(ErrorCode.InvalidInput, `secret ${scope.name}: the value is empty`);
    const sealed = seal(this.masterKey(true), context(scope, kind), value);
    return this.rows.put({ ...scope, kind, ...sealed });
  }

  /** This exact scope's value; undefined when there is none. */
  async get(scope: SecretScope): Promise<ResolvedSecret | undefined> {
    checkScope(scope);
    const row = await this.rows.get(scope);
    return row && this.open(row);
  }

  /**
   * The secret a run acting for `user` may use: the user's own, else the workspace-wide one.
   * Another user's secret is never a candidate.
   */
  async resolve(workspace: string, name: string, user: string | null): Promise<ResolvedSecret | undefined> {
    if (user !== null) {
      const own = await this.get({ workspace, user, name });
      if (own !== undefined) return own;
    }
    return this.get({ workspace, user: null, name });
  }

  list(workspace: string, filter?: { user?: string | null }): Promise<SecretInfo[]> {
    return this.rows.list(workspace, filter);
  }

  remove(scope: SecretScope): Promise<boolean> {
    checkScope(scope);
    return this.rows.remove(scope);
  }

  /**
   * Re-wraps every data key under `next` in one transaction (values are not re-encrypted). Every
   * row must open with the current key first: a row sealed under another key stops it, changing
   * nothing. Returns how many secrets were re-wrapped.
   */
  async rotate(next: MasterKey): Promise<number> {
    const current = this.masterKey();
    const rows = await this.rows.all();
    const keys = rows.map((row) => ({
      workspace: row.workspace,
      user: row.user,
      name: row.name,
      ...rewrap(current, next, context(row, row.kind), row, describe(row)),
    }));
    const changed = await this.rows.rewrap(keys, current.id);
    if (changed !== keys.length) {
      throw new CairnError(
        ErrorCode.Conflict,
        `secrets changed during rotation (${changed} of ${keys.length} re-wrapped); run rotate-key again`,
      );
    }
    this.key = next;
    return changed;
  }

  private open(row: SealedSecretRow): ResolvedSecret {
    return {
      value: unseal(this.masterKey(), context(row, row.kind), row, describe(row)),
      kind: row.kind,
      user: row.user,
    };
  }
}

/** What the sealed value is bound to: a row moved to another scope or name no longer opens. */
function context(scope: SecretScope, kind: SecretKind): string {
  return JSON.stringify([scope.workspace, scope.user, scope.name, kind]);
}

function describe(scope: SecretScope): string {
  return `secret ${scope.name}${scope.user !== null ? ` of user ${scope.user}` : ""} in workspace ${scope.workspace}`;
}

export function checkScope(scope: SecretScope): void {
  if (!NAME.test(scope.name)) {
    throw new InputError(
      ErrorCode.InvalidInput,
      `secret name ${JSON.stringify(scope.name)} is not valid: use letters, digits, ".", "_" or "-" (up to 128)`,
    );
  }
  if (scope.user !== null && !USER.test(scope.user)) {
    throw new InputError(
      ErrorCode.InvalidInput,
      `user ${JSON.stringify(scope.user)} is not valid (1 to 200 characters)`,
    );
  }
}
