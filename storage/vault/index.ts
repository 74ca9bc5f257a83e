/** The credential vault (AES-256-GCM at rest) and the credentials door built on it. */
import path from "node:path";
import { keySourceOf } from "./key.ts";
import { Vault } from "./vault.ts";

export { Vault, type AllowedFlows, type CredentialInfo, type CredentialInput } from "./vault.ts";
export { credentialsDoor, secretValues } from "./door.ts";
export { CREDENTIAL_KINDS, isSecretField, secretFieldsOf, type KindSpec } from "./kinds.ts";
export { defaultKeyFile, keySourceOf, type KeySource } from "./key.ts";

/** The vault file of a data folder. */
export function vaultFileOf(dataDir: string): string {
  return path.join(path.resolve(dataDir), "vault", "credentials.json");
}

/** The vault of a data folder, with its key from KEEL_MASTER_KEY, KEEL_KEY_FILE or `<data>.key`. */
export function openVault(dataDir: string, env: NodeJS.ProcessEnv = process.env): Vault {
  return new Vault({ file: vaultFileOf(dataDir), key: keySourceOf(dataDir, env) });
}
