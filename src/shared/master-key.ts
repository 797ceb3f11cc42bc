import { randomBytes } from "node:crypto";
import { closeSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { CairnError, ErrorCode } from "./errors.js";
import type { MasterKey } from "./envelope-crypto.js";
import { masterKey } from "./envelope-crypto.js";

/** Where the vault's master key comes from. */
export interface MasterKeySource {
  /** Default process.env: `CAIRN_MASTER_KEY` (the key), `CAIRN_MASTER_KEY_FILE` (where the file is). */
  env?: Record<string, string | undefined>;
  /** The key file; default `$CAIRN_MASTER_KEY_FILE` or `.cairn/master.key` under the working directory. */
  file?: string;
  /** A key given directly (tests, embedding): 32 bytes, or their hex or base64. */
  key?: Buffer | string;
}

export const DEFAULT_KEY_FILE = ".cairn/master.key";

/** The key file a source names. */
export function keyFilePath(source: MasterKeySource = {}): string {
  const env = source.env ?? process.env;
  return resolve(source.file ?? env.CAIRN_MASTER_KEY_FILE ?? DEFAULT_KEY_FILE);
}

/**
 * The master key: `key`, else `CAIRN_MASTER_KEY`, else the key file. With `create`, a missing
 * key file is made (32 random bytes, mode 0600); without it, a missing key is an error that says
 * what to do. A key file others can read is refused.
 */
export function loadMasterKey(source: MasterKeySource = {}, options: { create?: boolean } = {}): MasterKey {
  const env = source.env ?? process.env;
  if (source.key !== undefined) return masterKey(decodeKey(source.key, "the master key given"));
  const fromEnv = env.CAIRN_MASTER_KEY;
  if (fromEnv !== undefined && fromEnv !== "") return masterKey(decodeKey(fromEnv, "CAIRN_MASTER_KEY"));
  const path = keyFilePath(source);
  let text: string;
  try {
    const mode = statSync(path).mode & 0o777;
    if ((mode & 0o077) !== 0) {
      throw new CairnError(
        ErrorCode.VaultKey,
        `the master key file ${path} can be read by other users (mode ${mode.toString(8)}); run chmod 600 ${path}`,
      );
    }
    text = readFileSync(path, "utf8");
  } catch (err) {
    if (CairnError.is(err)) throw err;
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") {
      throw new CairnError(
        ErrorCode.VaultKey,
        `cannot read the master key file ${path}: ${(err as Error).message}`,
      );
    }
    if (!options.create) {
      throw new CairnError(
        ErrorCode.VaultKey,
        `no master key: set CAIRN_MASTER_KEY, or keep the key file ${path} (cairn secrets set creates it)`,
      );
    }
    return createKeyFile(path);
  }
  return masterKey(decodeKey(text.trim(), `the master key file ${path}`));
}

/** A new random master key written to `path` with mode 0600; an existing file is never overwritten. */
export function createKeyFile(path: string): MasterKey {
  const bytes = randomBytes(32);
  let fd: number;
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    fd = openSync(path, "wx", 0o600);
  } catch (err) {
    // Another process made it first: use theirs.
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return loadMasterKey({ file: path, env: {} });
    throw new CairnError(
      ErrorCode.VaultKey,
      `cannot create the master key file ${path}: ${(err as Error).message}`,
    );
  }
  try {
    writeSync(fd, bytes.toString("base64") + "\n");
  } finally {
    closeSync(fd);
  }
  return masterKey(bytes);
}

/** 32 bytes as 64 hex digits or as base64 (`openssl rand -base64 32`). */
export function decodeKey(value: Buffer | string, what: string): Buffer {
  if (Buffer.isBuffer(value)) return value;
  const v = value.trim();
  const bytes = /^[0-9a-fA-F]{64}$/.test(v) ? Buffer.from(v, "hex") : Buffer.from(v, "base64");
  if (bytes.length !== 32 || !/^[A-Za-z0-9+/=_-]+$/.test(v)) {
    throw new CairnError(
      ErrorCode.VaultKey,
      `${what} is not a master key: it must be 32 bytes, as 64 hex digits or base64 (e.g. openssl rand -base64 32)`,
    );
  }
  return bytes;
}
