/**
 * The vault's master key: from KEEL_MASTER_KEY (64 hex digits or base64 of 32 bytes, or any
 * other text as a passphrase stretched with scrypt), or else from a key file made on first need
 * with 32 random bytes and mode 0600, beside the data folder (`<data>.key`, so a copy of the data
 * folder alone does not carry the key). A key file others can read is refused, never used.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { KeelError, ValidationError } from "../../runtime/errors.ts";

/** Where the key comes from. */
export type KeySource = { from: "env"; text: string } | { from: "file"; file: string };

/** A key ready to use, with its id (an HMAC of a constant: names the key, reveals nothing). */
export interface VaultKey {
  key: Buffer;
  id: string;
  /** Says where the key came from, for messages. */
  origin: string;
}

/** Parameters of scrypt for passphrases (about 100 ms, 32 MB). */
const SCRYPT = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

/** The default key file of a data folder: beside it, named after it. */
export function defaultKeyFile(dataDir: string): string {
  const dir = path.resolve(dataDir);
  return path.join(path.dirname(dir), `${path.basename(dir)}.key`);
}

/** The key source for a data folder: KEEL_MASTER_KEY when set, else KEEL_KEY_FILE, else the default key file. */
export function keySourceOf(dataDir: string, env: NodeJS.ProcessEnv = process.env): KeySource {
  if (env.KEEL_MASTER_KEY) return { from: "env", text: env.KEEL_MASTER_KEY };
  return { from: "file", file: path.resolve(env.KEEL_KEY_FILE || defaultKeyFile(dataDir)) };
}

/** Derives the key from key text: raw 32 bytes when it is hex or base64 of that size, else a passphrase with the vault's salt. */
export function keyFromText(text: string, salt: Buffer, origin: string): VaultKey {
  const t = text.trim();
  if (!t) throw new ValidationError(`${origin} is empty`);
  let key: Buffer | undefined;
  if (/^[0-9a-fA-F]{64}$/.test(t)) key = Buffer.from(t, "hex");
  else if (/^[A-Za-z0-9+/_-]{43}=?$/.test(t)) {
    const b = Buffer.from(t.replace(/-/g, "+").replace(/_/g, "/"), "base64");
    if (b.length === 32) key = b;
  }
  if (!key) {
    if (t.length < 12) throw new ValidationError(`${origin} is too short for a passphrase (12 characters at least) and is not a 32-byte key in hex or base64`);
    key = crypto.scryptSync(t, salt, 32, SCRYPT);
  }
  return { key, id: keyId(key), origin };
}

/** The id of a key. */
export function keyId(key: Buffer): string {
  return crypto.createHmac("sha256", key).update("keel-vault-key-id").digest("base64url").slice(0, 16);
}

/** A new random key as the text written to a key file. */
export function newKeyText(): string {
  return crypto.randomBytes(32).toString("hex");
}

/** Reads a key file, refusing one that group or others may read. Undefined when it does not exist. */
export function readKeyFile(file: string): string | undefined {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new KeelError("INTERNAL", `cannot read the vault key file ${file}: ${(e as Error).message}`);
  }
  if (!stat.isFile()) throw new ValidationError(`the vault key file ${file} is not a file`);
  if (process.platform !== "win32" && (stat.mode & 0o077) !== 0) {
    throw new KeelError(
      "FORBIDDEN",
      `the vault key file ${file} may be read by others (mode ${(stat.mode & 0o777).toString(8)}); run: chmod 600 ${file}`,
    );
  }
  return fs.readFileSync(file, "utf8");
}

/** Writes a new key file with mode 0600; refuses to replace an existing one. */
export function writeKeyFile(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const fd = fs.openSync(file, "wx", 0o600);
  try {
    fs.writeSync(fd, `${text}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.chmodSync(file, 0o600);
}
