/**
 * The credentials door a node uses: `get(name)` checks that the running flow may use the
 * credential, registers every secret value (and the forms a request carries it in) with the
 * run's redactor before the node sees it, and records the use, or the refusal, in the trace.
 */
import type { Credential, CredentialsDoor, NodeScope } from "../../runtime/doors.ts";
import { toKeelError } from "../../runtime/errors.ts";
import { isSecretField } from "./kinds.ts";
import type { Vault } from "./vault.ts";

/** The door for one node attempt. */
export function credentialsDoor(vault: Vault, scope: NodeScope): CredentialsDoor {
  return {
    async get(name: string): Promise<Credential> {
      let credential: Credential;
      try {
        credential = vault.getFor(String(name), scope.flowId);
      } catch (e) {
        const err = toKeelError(e);
        scope.trace("credential.refused", { name: String(name), code: err.code, message: err.message });
        throw err;
      }
      for (const value of secretValues(credential)) scope.registerSecret(credential.name, value);
      scope.trace("credential.used", { name: credential.name, kind: credential.kind });
      return credential;
    },
  };
}

/** Every secret value of a credential, plus values built from them that requests carry. */
export function secretValues(c: Credential): string[] {
  const values = Object.entries(c.fields)
    .filter(([field, value]) => isSecretField(c.kind, field) && typeof value === "string" && value)
    .map(([, value]) => value);
  if (c.kind === "basic" && c.fields.password) values.push(`${c.fields.username ?? ""}:${c.fields.password}`);
  // "Bearer <token>": the token alone is as secret as the whole header value
  if (c.kind === "http-header" || c.kind === "oauth-token") {
    for (const v of [...values]) {
      const m = /^[A-Za-z][\w-]*\s+(\S.*)$/.exec(v);
      if (m) values.push(m[1]);
    }
  }
  return values;
}
