import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { CairnError, ErrorCode } from "./errors.js";

/** A 32-byte AES-256 key, and an id that names it without revealing it. */
export interface MasterKey {
  readonly bytes: Buffer;
  /** The first 16 hex digits of a hash of the key: tells which key sealed a secret. */
  readonly id: string;
}

/** A value sealed under envelope encryption: base64 of iv (12) | tag (16) | ciphertext. */
export interface SealedValue {
  ciphertext: string;
  /** The value's own data key, sealed under the master key. */
  wrappedKey: string;
  /** Which master key wrapped the data key (MasterKey.id). */
  keyId: string;
}

const IV_BYTES = 12;
const TAG_BYTES = 16;

export function masterKey(bytes: Buffer): MasterKey {
  if (bytes.length !== 32) {
    throw new CairnError(ErrorCode.VaultKey, `a master key must be 32 bytes (it is ${bytes.length})`);
  }
  const id = createHash("sha256").update("cairn master key id\0").update(bytes).digest("hex").slice(0, 16);
  return Object.freeze({ bytes, id });
}

/**
 * Seals `plaintext` with a fresh data key (AES-256-GCM), and the data key with the master key.
 * `context` (who and what the secret is) is bound as associated data to both: a sealed value
 * copied into another user's row does not open there.
 */
export function seal(master: MasterKey, context: string, plaintext: string): SealedValue {
  const dataKey = randomBytes(32);
  try {
    return {
      ciphertext: encrypt(dataKey, `value\0${context}`, Buffer.from(plaintext, "utf8")),
      wrappedKey: encrypt(master.bytes, `key\0${context}`, dataKey),
      keyId: master.id,
    };
  } finally {
    dataKey.fill(0);
  }
}

/**
 * Opens a sealed value. A wrong master key, another context or a changed byte throws a
 * CAIRN_VAULT_KEY error (GCM authenticates every byte): never a corrupt plaintext.
 */
export function unseal(master: MasterKey, context: string, sealed: SealedValue, what: string): string {
  if (sealed.keyId !== master.id) {
    throw new CairnError(
      ErrorCode.VaultKey,
      `${what} was sealed under master key ${sealed.keyId}, but the master key in use is ${master.id}: ` +
        "set CAIRN_MASTER_KEY (or the key file) to the key it was stored with",
    );
  }
  const dataKey = decrypt(master.bytes, `key\0${context}`, sealed.wrappedKey, what);
  try {
    return decrypt(dataKey, `value\0${context}`, sealed.ciphertext, what).toString("utf8");
  } finally {
    dataKey.fill(0);
  }
}

/** The same value's data key, sealed under `next` instead of `current`; the ciphertext is unchanged. */
export function rewrap(
  current: MasterKey,
  next: MasterKey,
  context: string,
  sealed: SealedValue,
  what: string,
): SealedValue {
  if (sealed.keyId !== current.id) {
    throw new CairnError(
      ErrorCode.VaultKey,
      `${what} was sealed under master key ${sealed.keyId}, not the one in use (${current.id}); nothing was changed`,
    );
  }
  const dataKey = decrypt(current.bytes, `key\0${context}`, sealed.wrappedKey, what);
  try {
    return {
      ciphertext: sealed.ciphertext,
      wrappedKey: encrypt(next.bytes, `key\0${context}`, dataKey),
      keyId: next.id,
    };
  } finally {
    dataKey.fill(0);
  }
}

function encrypt(key: Buffer, aad: string, plaintext: Buffer): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(Buffer.from(aad, "utf8"));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64");
}

function decrypt(key: Buffer, aad: string, sealed: string, what: string): Buffer {
  const raw = Buffer.from(sealed, "base64");
  if (raw.length < IV_BYTES + TAG_BYTES) {
    throw new CairnError(ErrorCode.VaultKey, `${what} cannot be opened: its stored form is truncated`);
  }
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, raw.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(aad, "utf8"));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
  } catch {
    throw new CairnError(
      ErrorCode.VaultKey,
      `${what} cannot be opened with this master key (wrong key, or the stored value was altered); nothing was read`,
    );
  }
}
