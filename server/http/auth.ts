/**
 * The access token: created on first start in `<data>/token` (mode 0600) or taken from
 * KEEL_TOKEN, and required as `Authorization: Bearer <token>` on every API request.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { RequestHandler } from "express";
import { KeelError, ValidationError } from "../../runtime/errors.ts";

/** Shortest token accepted from KEEL_TOKEN. */
export const MIN_TOKEN_LENGTH = 16;
/** Tokens go in a websocket subprotocol (`keel.<token>`), so they keep to its character set. */
const TOKEN_CHARS = /^[A-Za-z0-9._~-]+$/;

/** Where the token came from, for the start-up message. */
export type TokenSource = "option" | "env" | "file" | "created";

/** The token to use: the given one, KEEL_TOKEN, `<data>/token`, or a new one written there. */
export function loadToken(dataDir: string, options: { token?: string; env?: NodeJS.ProcessEnv } = {}): { token: string; source: TokenSource } {
  if (options.token !== undefined) return { token: checkToken(options.token, "the token option", { minLength: 1 }), source: "option" };
  const fromEnv = (options.env ?? process.env).KEEL_TOKEN;
  if (fromEnv) return { token: checkToken(fromEnv, "KEEL_TOKEN"), source: "env" };
  const file = path.join(dataDir, "token");
  try {
    const text = fs.readFileSync(file, "utf8").trim();
    if ((fs.statSync(file).mode & 0o077) !== 0) fs.chmodSync(file, 0o600); // keep it private
    return { token: checkToken(text, file), source: "file" };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
  const token = randomBytes(32).toString("base64url");
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  try {
    fs.writeFileSync(file, `${token}\n`, { flag: "wx", mode: 0o600 });
  } catch (e) {
    // another process created it between our read and write: use theirs
    if ((e as NodeJS.ErrnoException).code === "EEXIST") return loadToken(dataDir, options);
    throw e;
  }
  return { token, source: "created" };
}

function checkToken(token: string, where: string, options: { minLength?: number } = {}): string {
  if (token.length < (options.minLength ?? MIN_TOKEN_LENGTH)) throw new ValidationError(`${where}: the token must be at least ${options.minLength ?? MIN_TOKEN_LENGTH} characters`);
  if (!TOKEN_CHARS.test(token)) throw new ValidationError(`${where}: the token may hold only letters, digits and . _ ~ -`);
  return token;
}

/** Compares a presented token with the real one in constant time. */
export function tokenMatches(presented: unknown, token: string): boolean {
  if (typeof presented !== "string") return false;
  const a = createHash("sha256").update(presented).digest();
  const b = createHash("sha256").update(token).digest();
  return timingSafeEqual(a, b);
}

/** The token from an `Authorization: Bearer <token>` header, if there is one. */
export function bearerOf(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  return m?.[1];
}

/** Refuses every request without the right bearer token (401). */
export function requireToken(token: string): RequestHandler {
  return (req, res, next) => {
    const presented = bearerOf(req.headers.authorization);
    if (tokenMatches(presented, token)) return next();
    res.setHeader("WWW-Authenticate", 'Bearer realm="keel"');
    next(new KeelError("UNAUTHORIZED", presented === undefined ? "this request needs Authorization: Bearer <token> (the token is in <data>/token)" : "the token is not valid"));
  };
}
