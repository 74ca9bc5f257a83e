/**
 * The credential vault: one JSON file (mode 0600) whose credentials are each encrypted with
 * AES-256-GCM under the master key, with a random 96-bit IV per record. A credential's name,
 * kind, allowed flows and field names are bound to its ciphertext as additional authenticated
 * data, so neither the secret nor who may use it can be changed without the key. A wrong key is
 * recognised by its id before anything is decrypted or written; a changed byte fails the GCM tag.
 * Nothing here ever writes over a vault it could not read.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { Credential } from "../../runtime/doors.ts";
import { CorruptError, KeelError, ValidationError } from "../../runtime/errors.ts";
import { checkFields, checkName } from "./kinds.ts";
import { withFileLock } from "../lock.ts";
import { keyFromText, newKeyText, readKeyFile, writeKeyFile, type KeySource, type VaultKey } from "./key.ts";

/** Which flows may use a credential: a list of flow ids, or every flow. */
export type AllowedFlows = string[] | "*";

/** What is stored per credential: metadata in the clear, fields sealed. */
interface StoredCredential {
  kind: string;
  allowedFlows: AllowedFlows;
  fieldNames: string[];
  createdAt: string;
  updatedAt: string;
  iv: string;
  tag: string;
  data: string;
}

interface VaultDocument {
  format: typeof FORMAT;
  /** Id of the key the credentials are sealed with. */
  keyId: string;
  /** Salt for a passphrase key. */
  salt: string;
  credentials: Record<string, StoredCredential>;
}

/** A credential as listed: never its values. */
export interface CredentialInfo {
  name: string;
  kind: string;
  allowedFlows: AllowedFlows;
  fields: string[];
  createdAt: string;
  updatedAt: string;
}

/** A credential to store. */
export interface CredentialInput {
  name: string;
  kind: string;
  fields: Record<string, string>;
  allowedFlows: AllowedFlows;
}

/** Options for a Vault. */
export interface VaultOptions {
  /** The vault file. */
  file: string;
  key: KeySource;
  now?: () => Date;
}

const FORMAT = "keel/vault@1";

export class Vault {
  readonly file: string;
  private readonly source: KeySource;
  private readonly now: () => Date;
  /** Passphrase keys are slow to derive: keep the last one. */
  private derived: { text: string; salt: string; key: VaultKey } | undefined;

  constructor(opts: VaultOptions) {
    this.file = path.resolve(opts.file);
    this.source = opts.key;
    this.now = opts.now ?? (() => new Date());
  }

  /** Names, kinds, allowed flows and field names; no key needed, no value shown. */
  list(): CredentialInfo[] {
    const doc = this.read();
    if (!doc) return [];
    return Object.entries(doc.credentials)
      .map(([name, c]) => infoOf(name, c))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /** One credential's listing; NOT_FOUND when absent. */
  info(name: string): CredentialInfo {
    const c = this.read()?.credentials[name];
    if (!c) throw notFound(name);
    return infoOf(name, c);
  }

  /** Stores a new credential (or replaces one when `replace` is set). */
  add(input: CredentialInput, options: { replace?: boolean } = {}): CredentialInfo {
    return withFileLock(this.file, () => {
      checkName(input.name);
      checkFields(input.name, input.kind, input.fields);
      const allowedFlows = checkAllowed(input.allowedFlows);
      const doc = this.read() ?? this.emptyDocument();
      const old = doc.credentials[input.name];
      if (old && !options.replace) throw new KeelError("CONFLICT", `credential "${input.name}" exists; remove it first or replace it`);
      const key = this.key(doc, { create: true });
      const at = this.now().toISOString();
      doc.credentials[input.name] = seal(key, input.name, input.kind, allowedFlows, input.fields, old?.createdAt ?? at, at);
      this.write(doc, key);
      return infoOf(input.name, doc.credentials[input.name]);
    });
  }

  /** Changes a credential's allowed flows and/or some of its fields (others are kept). */
  update(name: string, change: { fields?: Record<string, string>; allowedFlows?: AllowedFlows }): CredentialInfo {
    return withFileLock(this.file, () => {
      const doc = this.read();
      const old = doc?.credentials[name];
      if (!doc || !old) throw notFound(name);
      const key = this.key(doc, { create: false });
      const fields = { ...unseal(key, name, old, this.file), ...(change.fields ?? {}) };
      checkFields(name, old.kind, fields);
      const allowedFlows = change.allowedFlows === undefined ? old.allowedFlows : checkAllowed(change.allowedFlows);
      doc.credentials[name] = seal(key, name, old.kind, allowedFlows, fields, old.createdAt, this.now().toISOString());
      this.write(doc, key);
      return infoOf(name, doc.credentials[name]);
    });
  }

  /** Removes a credential; false when there was none. Needs no key. */
  remove(name: string): boolean {
    return withFileLock(this.file, () => {
      const doc = this.read();
      if (!doc?.credentials[name]) return false;
      delete doc.credentials[name];
      writeVaultFile(this.file, doc);
      return true;
    });
  }

  /** A credential with its values, for a flow allowed to use it (FORBIDDEN otherwise). */
  getFor(name: string, flowId: string): Credential {
    const doc = this.read();
    const stored = doc?.credentials[name];
    if (!doc || !stored) throw notFound(name);
    if (stored.allowedFlows !== "*" && !stored.allowedFlows.includes(flowId)) {
      throw new KeelError("FORBIDDEN", `flow "${flowId}" is not allowed to use credential "${name}"`, {
        retryable: false,
        details: { credential: name, flowId },
      });
    }
    const key = this.key(doc, { create: false });
    return { name, kind: stored.kind, fields: unseal(key, name, stored, this.file) };
  }

  /** Checks the key against the vault and every record's tag; returns how many were checked. */
  verify(): number {
    const doc = this.read();
    if (!doc || Object.keys(doc.credentials).length === 0) return 0;
    const key = this.key(doc, { create: false });
    for (const [name, c] of Object.entries(doc.credentials)) unseal(key, name, c, this.file);
    return Object.keys(doc.credentials).length;
  }

  /**
   * Re-encrypts every credential under a new key. With a key file, a new random key is written
   * beside it first (`.next`), then the vault, then the key file is replaced: a crash at any
   * point leaves a vault that opens. With KEEL_MASTER_KEY, `nextKeyText` is the new key and the
   * caller must set KEEL_MASTER_KEY to it afterwards.
   */
  rotateKey(nextKeyText?: string): { rotated: number; keyId: string } {
    return withFileLock(this.file, () => {
      const doc = this.read();
      if (!doc) throw new ValidationError(`there is no vault at ${this.file} yet: nothing to rotate`);
      const oldKey = this.key(doc, { create: false });
      const fields = Object.fromEntries(Object.entries(doc.credentials).map(([n, c]) => [n, unseal(oldKey, n, c, this.file)]));
      let text: string;
      let nextFile: string | undefined;
      if (this.source.from === "env") {
        if (!nextKeyText) throw new ValidationError("the key comes from KEEL_MASTER_KEY: give the new key to rotate to");
        text = nextKeyText;
      } else {
        if (nextKeyText) throw new ValidationError("the key comes from a key file: a new random key is made for you");
        text = newKeyText();
        nextFile = `${this.source.file}.next`;
        fs.rmSync(nextFile, { force: true });
        writeKeyFile(nextFile, text);
      }
      const salt = crypto.randomBytes(16).toString("base64");
      const key = keyFromText(text, Buffer.from(salt, "base64"), "the new key");
      if (key.id === oldKey.id) throw new ValidationError("the new key is the same as the current one");
      const next: VaultDocument = { format: FORMAT, keyId: key.id, salt, credentials: {} };
      for (const [name, c] of Object.entries(doc.credentials)) {
        next.credentials[name] = seal(key, name, c.kind, c.allowedFlows, fields[name], c.createdAt, c.updatedAt);
      }
      writeVaultFile(this.file, next);
      if (nextFile && this.source.from === "file") fs.renameSync(nextFile, this.source.file);
      this.derived = undefined;
      return { rotated: Object.keys(next.credentials).length, keyId: key.id };
    });
  }

  /** The key for this vault, checked against the id the vault was sealed with. */
  private key(doc: VaultDocument, options: { create: boolean }): VaultKey {
    const salt = Buffer.from(doc.salt, "base64");
    const sealed = Object.keys(doc.credentials).length > 0;
    let text: string | undefined;
    let origin: string;
    if (this.source.from === "env") {
      text = this.source.text;
      origin = "KEEL_MASTER_KEY";
    } else {
      origin = `the key file ${this.source.file}`;
      text = readKeyFile(this.source.file);
      if (text === undefined) text = this.finishRotation(doc);
      if (text === undefined) {
        if (sealed || !options.create) {
          throw new KeelError(
            "FORBIDDEN",
            `the vault ${this.file} needs its key, and ${origin} does not exist: set KEEL_MASTER_KEY or restore the key file (nothing was changed)`,
          );
        }
        text = newKeyText();
        writeKeyFile(this.source.file, text);
      }
    }
    const key = this.derive(text, doc.salt, salt, origin);
    if (doc.keyId && key.id !== doc.keyId && sealed) {
      const rotated = this.source.from === "file" ? this.finishRotation(doc) : undefined;
      if (rotated !== undefined) return this.derive(rotated, doc.salt, salt, origin);
      throw new KeelError(
        "FORBIDDEN",
        `wrong vault key: ${this.file} was sealed with key ${doc.keyId}, and ${origin} is key ${key.id}; use the key it was made with (nothing was changed)`,
        { retryable: false, details: { expected: doc.keyId, got: key.id } },
      );
    }
    return key;
  }

  /** A rotation that stopped after writing the vault: its new key is still in `.next`. */
  private finishRotation(doc: VaultDocument): string | undefined {
    if (this.source.from !== "file") return undefined;
    const nextFile = `${this.source.file}.next`;
    const text = readKeyFile(nextFile);
    if (text === undefined) return undefined;
    const key = this.derive(text, doc.salt, Buffer.from(doc.salt, "base64"), nextFile);
    if (key.id !== doc.keyId) return undefined;
    fs.renameSync(nextFile, this.source.file);
    return text;
  }

  private derive(text: string, saltText: string, salt: Buffer, origin: string): VaultKey {
    if (this.derived && this.derived.text === text && this.derived.salt === saltText) return this.derived.key;
    const key = keyFromText(text, salt, origin);
    this.derived = { text, salt: saltText, key };
    return key;
  }

  private emptyDocument(): VaultDocument {
    return { format: FORMAT, keyId: "", salt: crypto.randomBytes(16).toString("base64"), credentials: {} };
  }

  private write(doc: VaultDocument, key: VaultKey): void {
    doc.keyId = key.id;
    writeVaultFile(this.file, doc);
  }

  /** The vault document, or undefined when there is no vault yet. A damaged file is reported, never replaced. */
  private read(): VaultDocument | undefined {
    let text: string;
    try {
      text = fs.readFileSync(this.file, "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw new KeelError("INTERNAL", `cannot read the vault ${this.file}: ${(e as Error).message}`);
    }
    let doc: VaultDocument;
    try {
      doc = JSON.parse(text);
    } catch (e) {
      throw new CorruptError(`the vault ${this.file} is not valid JSON (${(e as Error).message}); it was left as it is`);
    }
    if (doc?.format !== FORMAT || typeof doc.credentials !== "object" || doc.credentials === null || typeof doc.salt !== "string") {
      throw new CorruptError(`the vault ${this.file} is not a ${FORMAT} file; it was left as it is`);
    }
    return doc;
  }
}

function aad(name: string, kind: string, allowedFlows: AllowedFlows, fieldNames: string[]): Buffer {
  return Buffer.from(JSON.stringify([FORMAT, name, kind, allowedFlows, fieldNames]));
}

function seal(key: VaultKey, name: string, kind: string, allowedFlows: AllowedFlows, fields: Record<string, string>, createdAt: string, updatedAt: string): StoredCredential {
  const fieldNames = Object.keys(fields).sort();
  const iv = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv("aes-256-gcm", key.key, iv);
  cipher.setAAD(aad(name, kind, allowedFlows, fieldNames));
  const data = Buffer.concat([cipher.update(JSON.stringify(fields), "utf8"), cipher.final()]);
  return { kind, allowedFlows, fieldNames, createdAt, updatedAt, iv: iv.toString("base64"), tag: cipher.getAuthTag().toString("base64"), data: data.toString("base64") };
}

function unseal(key: VaultKey, name: string, c: StoredCredential, file: string): Record<string, string> {
  try {
    const decipher = crypto.createDecipheriv("aes-256-gcm", key.key, Buffer.from(c.iv, "base64"));
    decipher.setAAD(aad(name, c.kind, c.allowedFlows, c.fieldNames));
    decipher.setAuthTag(Buffer.from(c.tag, "base64"));
    const text = Buffer.concat([decipher.update(Buffer.from(c.data, "base64")), decipher.final()]).toString("utf8");
    return JSON.parse(text) as Record<string, string>;
  } catch {
    throw new CorruptError(
      `credential "${name}" in ${file} failed its integrity check (AES-GCM tag): the file was changed outside Keel or damaged; it was left as it is`,
      { details: { credential: name } },
    );
  }
}

function checkAllowed(allowed: AllowedFlows): AllowedFlows {
  if (allowed === "*") return "*";
  if (!Array.isArray(allowed) || allowed.some((f) => typeof f !== "string" || !f)) {
    throw new ValidationError('allowedFlows must be "*" or a list of flow ids');
  }
  return [...new Set(allowed)].sort();
}

function infoOf(name: string, c: StoredCredential): CredentialInfo {
  return { name, kind: c.kind, allowedFlows: c.allowedFlows, fields: [...c.fieldNames], createdAt: c.createdAt, updatedAt: c.updatedAt };
}

function notFound(name: string): KeelError {
  return new KeelError("NOT_FOUND", `no credential named "${name}"`, { details: { credential: name } });
}

/** Temp file (0600) + fsync + rename + folder fsync: a crash leaves the old vault or the new one, whole. */
function writeVaultFile(file: string, doc: VaultDocument): void {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${crypto.randomBytes(4).toString("hex")}.tmp`);
  const fd = fs.openSync(tmp, "wx", 0o600);
  try {
    fs.writeSync(fd, `${JSON.stringify(doc, null, 1)}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  try {
    const d = fs.openSync(dir, "r");
    try {
      fs.fsyncSync(d);
    } finally {
      fs.closeSync(d);
    }
  } catch {
    // folders cannot be fsynced on every platform
  }
}

