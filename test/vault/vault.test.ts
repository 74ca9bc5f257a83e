/** The credential vault: encryption at rest, keys, integrity, allowance. */
import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { KeelError } from "../../runtime/errors.ts";
import { defaultKeyFile, openVault, Vault, vaultFileOf } from "../../storage/vault/index.ts";
import { tempDir } from "../support/keel.ts";

const SECRET = "s3cr3t-value-0123456789";
const KEY_A = "a".repeat(64);
const KEY_B = "b".repeat(64);

let cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

/** A data folder inside a temp folder, so the key file beside it is removed too. */
function dataFolder(): string {
  const t = tempDir("keel-vault-");
  cleanups.push(t.cleanup);
  return path.join(t.dir, "data");
}

function thrown(fn: () => unknown): KeelError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(KeelError);
    return e as KeelError;
  }
  throw new Error("expected an error");
}

const header = { name: "crm", kind: "http-header", fields: { name: "Authorization", value: `Bearer ${SECRET}` }, allowedFlows: ["f1"] };

describe("vault", () => {
  it("round-trips a credential and never stores its value in the clear", () => {
    const data = dataFolder();
    const vault = openVault(data, { KEEL_MASTER_KEY: KEY_A });
    vault.add(header);
    expect(vault.getFor("crm", "f1")).toEqual({ name: "crm", kind: "http-header", fields: { name: "Authorization", value: `Bearer ${SECRET}` } });
    expect(vault.list()).toEqual([expect.objectContaining({ name: "crm", kind: "http-header", allowedFlows: ["f1"], fields: ["name", "value"] })]);
    expect(JSON.stringify(vault.list())).not.toContain(SECRET);
    const file = fs.readFileSync(vaultFileOf(data), "utf8");
    expect(file).not.toContain(SECRET);
    expect(file).not.toContain(Buffer.from(SECRET).toString("base64"));
    expect(fs.statSync(vaultFileOf(data)).mode & 0o777).toBe(0o600);
  });

  it("uses a random IV per record: the same value seals differently", () => {
    const vault = openVault(dataFolder(), { KEEL_MASTER_KEY: KEY_A });
    vault.add({ ...header, name: "one" });
    vault.add({ ...header, name: "two" });
    const doc = JSON.parse(fs.readFileSync(vault.file, "utf8"));
    expect(doc.credentials.one.iv).not.toBe(doc.credentials.two.iv);
    expect(doc.credentials.one.data).not.toBe(doc.credentials.two.data);
  });

  it("makes a key file with mode 0600 beside the data folder on first need, and only then", () => {
    const data = dataFolder();
    const vault = openVault(data, {});
    expect(vault.list()).toEqual([]);
    expect(fs.existsSync(defaultKeyFile(data))).toBe(false);
    vault.add(header);
    const keyFile = defaultKeyFile(data);
    expect(keyFile).toBe(`${data}.key`);
    expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(openVault(data, {}).getFor("crm", "f1").fields.value).toBe(`Bearer ${SECRET}`);
  });

  it("refuses a key file others may read", () => {
    const data = dataFolder();
    openVault(data, {}).add(header);
    fs.chmodSync(defaultKeyFile(data), 0o644);
    const e = thrown(() => openVault(data, {}).getFor("crm", "f1"));
    expect(e.message).toMatch(/may be read by others \(mode 644\); run: chmod 600/);
  });

  it("gives a clear error for a wrong key and destroys nothing", () => {
    const data = dataFolder();
    openVault(data, { KEEL_MASTER_KEY: KEY_A }).add(header);
    const before = fs.readFileSync(vaultFileOf(data));
    const wrong = openVault(data, { KEEL_MASTER_KEY: KEY_B });
    const e = thrown(() => wrong.getFor("crm", "f1"));
    expect(e.code).toBe("FORBIDDEN");
    expect(e.message).toMatch(/^wrong vault key: .* was sealed with key \S+, and KEEL_MASTER_KEY is key \S+; use the key it was made with \(nothing was changed\)$/);
    expect(thrown(() => wrong.add({ ...header, name: "other" })).message).toMatch(/wrong vault key/);
    expect(thrown(() => wrong.update("crm", { allowedFlows: "*" })).message).toMatch(/wrong vault key/);
    expect(thrown(() => wrong.rotateKey(KEY_B)).message).toMatch(/wrong vault key/);
    expect(fs.readFileSync(vaultFileOf(data)).equals(before)).toBe(true);
    expect(openVault(data, { KEEL_MASTER_KEY: KEY_A }).getFor("crm", "f1").fields.value).toBe(`Bearer ${SECRET}`);
  });

  it("refuses to make a new key when the vault's key file is missing", () => {
    const data = dataFolder();
    openVault(data, {}).add(header);
    fs.rmSync(defaultKeyFile(data));
    const e = thrown(() => openVault(data, {}).add({ ...header, name: "other" }));
    expect(e.message).toMatch(/needs its key, and the key file .* does not exist/);
    expect(fs.existsSync(defaultKeyFile(data))).toBe(false);
  });

  it("detects tampered ciphertext with the GCM tag", () => {
    const data = dataFolder();
    const vault = openVault(data, { KEEL_MASTER_KEY: KEY_A });
    vault.add(header);
    const doc = JSON.parse(fs.readFileSync(vault.file, "utf8"));
    const bytes = Buffer.from(doc.credentials.crm.data, "base64");
    bytes[3] ^= 0x01;
    doc.credentials.crm.data = bytes.toString("base64");
    fs.writeFileSync(vault.file, JSON.stringify(doc));
    const e = thrown(() => vault.getFor("crm", "f1"));
    expect(e.code).toBe("CORRUPT");
    expect(e.message).toMatch(/credential "crm" in .* failed its integrity check \(AES-GCM tag\)/);
  });

  it("binds who may use a credential to its ciphertext: widening allowedFlows by hand is detected", () => {
    const vault = openVault(dataFolder(), { KEEL_MASTER_KEY: KEY_A });
    vault.add(header);
    const doc = JSON.parse(fs.readFileSync(vault.file, "utf8"));
    doc.credentials.crm.allowedFlows = "*";
    fs.writeFileSync(vault.file, JSON.stringify(doc));
    expect(thrown(() => vault.getFor("crm", "any-flow")).code).toBe("CORRUPT");
  });

  it("refuses a flow that is not allowed, before decrypting anything", () => {
    const vault = openVault(dataFolder(), { KEEL_MASTER_KEY: KEY_A });
    vault.add(header);
    const e = thrown(() => openVault(path.dirname(path.dirname(vault.file)), { KEEL_MASTER_KEY: KEY_B }).getFor("crm", "f2"));
    expect(e.code).toBe("FORBIDDEN");
    expect(e.message).toBe('flow "f2" is not allowed to use credential "crm"');
    vault.update("crm", { allowedFlows: "*" });
    expect(vault.getFor("crm", "f2").fields.value).toBe(`Bearer ${SECRET}`);
  });

  it("checks kinds, fields and names", () => {
    const vault = openVault(dataFolder(), { KEEL_MASTER_KEY: KEY_A });
    expect(thrown(() => vault.add({ ...header, fields: { name: "X-Key" } })).message).toMatch(/kind http-header needs field value/);
    expect(thrown(() => vault.add({ ...header, name: "../etc" })).message).toMatch(/credential name/);
    expect(thrown(() => vault.add({ name: "b", kind: "basic", fields: { username: "u", password: "pw" }, allowedFlows: "*" })).message).toMatch(/shorter than 4/);
    expect(thrown(() => vault.add({ name: "b", kind: "basic", fields: { username: "u", password: "long-enough", extra: "x" }, allowedFlows: "*" })).message).toMatch(/has no field "extra"/);
    vault.add(header);
    expect(thrown(() => vault.add(header)).code).toBe("CONFLICT");
    expect(vault.remove("crm")).toBe(true);
    expect(vault.remove("crm")).toBe(false);
    expect(thrown(() => vault.getFor("crm", "f1")).code).toBe("NOT_FOUND");
  });

  it("rotates a key file's key, and finishes a rotation a crash interrupted", () => {
    const data = dataFolder();
    const vault = openVault(data, {});
    vault.add(header);
    vault.add({ name: "mail", kind: "smtp", fields: { host: "smtp.example", user: "me", pass: "mail-password" }, allowedFlows: "*" });
    const oldKey = fs.readFileSync(defaultKeyFile(data), "utf8");
    expect(vault.rotateKey()).toMatchObject({ rotated: 2 });
    expect(fs.readFileSync(defaultKeyFile(data), "utf8")).not.toBe(oldKey);
    expect(fs.statSync(defaultKeyFile(data)).mode & 0o777).toBe(0o600);
    expect(openVault(data, {}).getFor("mail", "x").fields.pass).toBe("mail-password");

    // a crash after the vault was written but before the key file was replaced
    const keyFile = defaultKeyFile(data);
    const current = fs.readFileSync(keyFile, "utf8");
    const interrupted = new Vault({ file: vaultFileOf(data), key: { from: "file", file: keyFile } });
    interrupted.rotateKey();
    const newKey = fs.readFileSync(keyFile, "utf8");
    fs.renameSync(keyFile, `${keyFile}.next`);
    fs.writeFileSync(keyFile, current, { mode: 0o600 });
    expect(openVault(data, {}).getFor("crm", "f1").fields.value).toBe(`Bearer ${SECRET}`);
    expect(fs.readFileSync(keyFile, "utf8")).toBe(newKey);
    expect(fs.existsSync(`${keyFile}.next`)).toBe(false);
  });

  it("rotates a KEEL_MASTER_KEY to a new key, passphrases included", () => {
    const data = dataFolder();
    openVault(data, { KEEL_MASTER_KEY: KEY_A }).add(header);
    openVault(data, { KEEL_MASTER_KEY: KEY_A }).rotateKey("correct horse battery staple");
    expect(thrown(() => openVault(data, { KEEL_MASTER_KEY: KEY_A }).getFor("crm", "f1")).message).toMatch(/wrong vault key/);
    expect(openVault(data, { KEEL_MASTER_KEY: "correct horse battery staple" }).getFor("crm", "f1").fields.value).toBe(`Bearer ${SECRET}`);
    expect(fs.readFileSync(vaultFileOf(data), "utf8")).not.toContain("correct horse");
  });

  it("reports a damaged vault file and leaves it as it is", () => {
    const data = dataFolder();
    const vault = openVault(data, { KEEL_MASTER_KEY: KEY_A });
    vault.add(header);
    fs.writeFileSync(vault.file, '{"format": "keel/vault@1", "credentials": ');
    expect(thrown(() => vault.list()).code).toBe("CORRUPT");
    expect(thrown(() => vault.add({ ...header, name: "new" })).code).toBe("CORRUPT");
    expect(fs.readFileSync(vault.file, "utf8")).toBe('{"format": "keel/vault@1", "credentials": ');
  });
});
