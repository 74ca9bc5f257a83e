/**
 * Credential kinds: which fields each has, which are required and which are secret. Secret field
 * values are never accepted on a command line, never returned by the API, and are registered
 * for redaction whenever a run receives them. A kind not listed here is allowed; all its fields
 * are then treated as secret.
 */
import { ValidationError } from "../../runtime/errors.ts";

/** One field of a credential kind. */
export interface FieldSpec {
  secret: boolean;
  required: boolean;
  description: string;
}

/** A credential kind and its fields. */
export interface KindSpec {
  description: string;
  fields: Record<string, FieldSpec>;
}

const secret = (description: string, required = true): FieldSpec => ({ secret: true, required, description });
const plain = (description: string, required = true): FieldSpec => ({ secret: false, required, description });

/** The kinds Keel knows. */
export const CREDENTIAL_KINDS: Record<string, KindSpec> = {
  "http-header": {
    description: "a header added to HTTP requests (action.http `credential`)",
    fields: { name: plain("header name, e.g. Authorization"), value: secret("header value, e.g. Bearer …") },
  },
  basic: {
    description: "HTTP basic authentication (action.http `credential`)",
    fields: { username: plain("user name"), password: secret("password") },
  },
  smtp: {
    description: "an SMTP server account",
    fields: {
      host: plain("server host name"),
      port: plain("port (default 587)", false),
      user: plain("user name", false),
      pass: secret("password", false),
      secure: plain('"true" for TLS from the start (port 465)', false),
    },
  },
  "api-key": {
    description: "an API key (model providers read the field apiKey)",
    fields: { apiKey: secret("the key") },
  },
  "oauth-token": {
    description: "an OAuth access token",
    fields: {
      accessToken: secret("access token"),
      refreshToken: secret("refresh token", false),
      tokenType: plain("token type (default Bearer)", false),
    },
  },
};

/** Secret values shorter than this are refused: redacting them would garble ordinary text. */
export const MIN_SECRET_CHARS = 4;

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const KIND = /^[a-z][a-z0-9-]{0,39}$/;
const FIELD = /^[A-Za-z][A-Za-z0-9_-]{0,39}$/;

/** True when the field of that kind holds a secret (every field of an unknown kind does). */
export function isSecretField(kind: string, field: string): boolean {
  return CREDENTIAL_KINDS[kind]?.fields[field]?.secret ?? true;
}

/** The secret fields a kind declares (for prompting); unknown kinds declare none up front. */
export function secretFieldsOf(kind: string): string[] {
  const spec = CREDENTIAL_KINDS[kind];
  return spec ? Object.entries(spec.fields).filter(([, f]) => f.secret).map(([k]) => k) : [];
}

/** Checks a credential name. */
export function checkName(name: string): void {
  if (!NAME.test(name)) {
    throw new ValidationError(`credential name "${name}" must be 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit`);
  }
}

/** Checks a kind and its fields; says which field is missing, unknown or too short. */
export function checkFields(name: string, kind: string, fields: Record<string, string>): void {
  if (!KIND.test(kind)) throw new ValidationError(`credential "${name}": kind "${kind}" must be lowercase letters, digits and "-"`);
  const spec = CREDENTIAL_KINDS[kind];
  for (const [field, value] of Object.entries(fields)) {
    if (!FIELD.test(field)) throw new ValidationError(`credential "${name}": field name "${field}" must be letters, digits, "_" or "-"`);
    if (typeof value !== "string") throw new ValidationError(`credential "${name}": field ${field} must be a string`);
    if (spec && !spec.fields[field]) {
      throw new ValidationError(`credential "${name}": kind ${kind} has no field "${field}" (fields: ${Object.keys(spec.fields).join(", ")})`);
    }
    if (isSecretField(kind, field) && value.length < MIN_SECRET_CHARS) {
      throw new ValidationError(`credential "${name}": secret field ${field} is shorter than ${MIN_SECRET_CHARS} characters`);
    }
  }
  if (spec) {
    const missing = Object.entries(spec.fields).filter(([k, f]) => f.required && !fields[k]).map(([k]) => k);
    if (missing.length) throw new ValidationError(`credential "${name}": kind ${kind} needs field${missing.length > 1 ? "s" : ""} ${missing.join(", ")}`);
  } else if (Object.keys(fields).length === 0) {
    throw new ValidationError(`credential "${name}": give at least one field`);
  }
}
