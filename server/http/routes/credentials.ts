/**
 * Credentials: values are write-only. Every answer carries names, kinds, allowed flows and field
 * names, never a value; the kinds table tells the editor which fields to ask for and hide.
 */
import { KeelError, ValidationError } from "../../../runtime/errors.ts";
import { CREDENTIAL_KINDS, type AllowedFlows } from "../../../storage/vault/index.ts";
import type { RouteModule } from "../context.ts";
import { objectBody } from "../request.ts";

function fieldsOf(value: unknown, required: boolean): Record<string, string> | undefined {
  if (value === undefined && !required) return undefined;
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new ValidationError("fields must be an object of strings");
  for (const [k, v] of Object.entries(value)) if (typeof v !== "string") throw new ValidationError(`fields.${k} must be a string`);
  return value as Record<string, string>;
}

function allowedOf(value: unknown, fallback?: AllowedFlows): AllowedFlows {
  if (value === undefined && fallback !== undefined) return fallback;
  if (value === "*") return "*";
  if (Array.isArray(value) && value.every((f) => typeof f === "string" && f)) return value as string[];
  throw new ValidationError('allowedFlows must be "*" or a list of flow ids');
}

function kindOf(value: unknown): string {
  if (typeof value !== "string" || !value) throw new ValidationError("kind is required (http-header, basic, smtp, api-key, oauth-token, or your own)");
  return value;
}

export const credentialRoutes: RouteModule = (api, ctx) => {
  const vault = ctx.keel.vault;

  api.get("/credentials", (_req, res) => {
    res.json({ items: vault.list(), kinds: CREDENTIAL_KINDS });
  });

  api.get("/credentials/:name", (req, res) => {
    res.json({ credential: vault.info(req.params.name) });
  });

  api.post("/credentials", (req, res) => {
    const body = objectBody(req)!;
    if (typeof body.name !== "string") throw new ValidationError("name is required");
    const credential = vault.add({ name: body.name, kind: kindOf(body.kind), fields: fieldsOf(body.fields, true)!, allowedFlows: allowedOf(body.allowedFlows, []) });
    res.status(201).json({ credential });
  });

  // Creates the credential when absent; otherwise changes the fields given (others are kept) and/or allowedFlows.
  api.put("/credentials/:name", (req, res) => {
    const body = objectBody(req)!;
    const name = req.params.name;
    const existing = vault.list().find((c) => c.name === name);
    if (!existing) {
      const credential = vault.add({ name, kind: kindOf(body.kind), fields: fieldsOf(body.fields, true)!, allowedFlows: allowedOf(body.allowedFlows, []) });
      res.status(201).json({ credential });
      return;
    }
    if (body.kind !== undefined && body.kind !== existing.kind) {
      throw new ValidationError(`credential "${name}" is of kind ${existing.kind}; delete it to store one of another kind`);
    }
    const fields = fieldsOf(body.fields, false);
    const allowedFlows = body.allowedFlows === undefined ? undefined : allowedOf(body.allowedFlows);
    res.json({ credential: vault.update(name, { fields, allowedFlows }) });
  });

  api.delete("/credentials/:name", (req, res) => {
    if (!vault.remove(req.params.name)) throw new KeelError("NOT_FOUND", `no credential named "${req.params.name}"`);
    res.status(204).end();
  });
};
