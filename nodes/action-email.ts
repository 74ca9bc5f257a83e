import { createHash } from "node:crypto";
import path from "node:path";
import nodemailer from "nodemailer";
import { z } from "zod";
import type { Credential } from "../runtime/doors.ts";
import { KeelError, TransientError, ValidationError } from "../runtime/errors.ts";
import { defineNode, type NodeContext } from "../runtime/node.ts";

const addresses = z.union([z.string().min(3), z.array(z.string().min(3)).min(1).max(100)]);

const params = z
  .object({
    credential: z.string().min(1, "is required").describe("an smtp credential (host, port, user, pass, secure)"),
    from: z.string().min(3).optional().describe('e.g. "Ada <ada@example.com>"; default: the credential\'s user when it is an address'),
    to: addresses,
    cc: addresses.optional(),
    bcc: addresses.optional(),
    replyTo: z.string().min(3).optional(),
    subject: z.string().max(998),
    text: z.string().optional(),
    html: z.string().optional(),
    attachments: z
      .array(
        z
          .object({
            path: z.string().min(1).describe("a file in the outbox (<data>/outbox), e.g. one action.file wrote"),
            filename: z.string().min(1).optional(),
            contentType: z.string().min(1).optional(),
          })
          .strict(),
      )
      .max(20)
      .default([]),
  })
  .strict()
  .refine((p) => p.text !== undefined || p.html !== undefined, { message: "needs text or html", path: ["text"] });

type Params = z.output<typeof params>;

/** What a sent mail outputs. */
export interface EmailOutput {
  messageId: string;
  accepted: string[];
  rejected: string[];
  response: string;
}

/**
 * Sends an email over SMTP. Its Message-ID is derived from the idempotency key, so a send that
 * is repeated after a crash (intent logged, result not) carries the same Message-ID and the
 * receiving side can recognise it.
 */
export const actionEmail = defineNode({
  type: "action.email",
  version: 1,
  title: "Send email",
  category: "action",
  description:
    "Sends an email through an SMTP server (an smtp credential). The Message-ID comes from the idempotency key, so a resend after a crash is recognisable. Attachments are files in the outbox. 4xx answers and network errors are retried; 5xx and bad logins are not.",
  kind: "action",
  params,
  retry: { attempts: 3, backoffMs: 2000 },
  async run(ctx): Promise<EmailOutput> {
    const p = ctx.params;
    const credential = await ctx.credentials.get(p.credential);
    if (credential.kind !== "smtp") throw new ValidationError(`credential "${p.credential}" is of kind ${credential.kind}; action.email needs an smtp credential`);
    const from = p.from ?? (credential.fields.user?.includes("@") ? credential.fields.user : undefined);
    if (!from) throw new ValidationError(`action.email needs a from address (the credential's user "${credential.fields.user ?? ""}" is not one)`);
    const messageId = messageIdOf(ctx.idempotencyKey, from);
    const attachments = await Promise.all(
      p.attachments.map(async (a) => ({
        filename: a.filename ?? path.basename(a.path),
        content: Buffer.from(await ctx.outbox.read(a.path)),
        ...(a.contentType ? { contentType: a.contentType } : {}),
      })),
    );
    return send(ctx, credential, {
      messageId,
      from,
      to: p.to,
      ...(p.cc ? { cc: p.cc } : {}),
      ...(p.bcc ? { bcc: p.bcc } : {}),
      ...(p.replyTo ? { replyTo: p.replyTo } : {}),
      subject: p.subject,
      ...(p.text !== undefined ? { text: p.text } : {}),
      ...(p.html !== undefined ? { html: p.html } : {}),
      attachments,
      headers: { "X-Keel-Idempotency-Key": ctx.idempotencyKey },
    });
  },
});

/** The Message-ID of the mail sent under an idempotency key: `<hash.keel@domain-of-from>`. */
export function messageIdOf(key: string, from: string): string {
  const domain = /@([A-Za-z0-9.-]+)>?\s*$/.exec(from)?.[1] ?? "keel.local";
  return `<${createHash("sha256").update(key).digest("hex").slice(0, 32)}.keel@${domain}>`;
}

async function send(ctx: NodeContext<Params>, c: Credential, mail: nodemailer.SendMailOptions & { messageId: string }): Promise<EmailOutput> {
  const port = c.fields.port ? Number(c.fields.port) : 587;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new ValidationError(`credential "${c.name}": port ${JSON.stringify(c.fields.port)} is not a port number`);
  if (!c.fields.host) throw new ValidationError(`credential "${c.name}" has no host`);
  const transport = nodemailer.createTransport({
    host: c.fields.host,
    port,
    secure: c.fields.secure === "true" || (c.fields.secure === undefined && port === 465),
    ...(c.fields.user ? { auth: { user: c.fields.user, pass: c.fields.pass ?? "" } } : {}),
    connectionTimeout: 30_000,
    greetingTimeout: 30_000,
    socketTimeout: 60_000,
    logger: false,
    debug: false,
  });
  const abort = () => transport.close();
  ctx.signal.addEventListener("abort", abort, { once: true });
  try {
    const info = await transport.sendMail(mail);
    return {
      messageId: mail.messageId,
      accepted: (info.accepted ?? []).map(String),
      rejected: (info.rejected ?? []).map(String),
      response: String(info.response ?? ""),
    };
  } catch (e) {
    if (ctx.signal.aborted) throw ctx.signal.reason ?? e;
    throw classify(e as Error & { code?: string; responseCode?: number; response?: string }, c.fields.host, port);
  } finally {
    ctx.signal.removeEventListener("abort", abort);
    transport.close();
  }
}

function classify(e: Error & { code?: string; responseCode?: number }, host: string, port: number): KeelError {
  const where = `SMTP ${host}:${port}`;
  const code = e.responseCode;
  if (e.code === "EAUTH") return new KeelError("NODE_FAILED", `${where} refused the login: ${e.message}`, { retryable: false, details: { smtpCode: code } });
  if (typeof code === "number" && code >= 400 && code < 500) return new TransientError(`${where} answered ${code} (try later): ${e.message}`, { details: { smtpCode: code } });
  if (typeof code === "number" && code >= 500) return new KeelError("NODE_FAILED", `${where} refused the mail (${code}): ${e.message}`, { retryable: false, details: { smtpCode: code } });
  if (e.code === "EENVELOPE" || e.code === "EMESSAGE") return new KeelError("NODE_FAILED", `${where}: ${e.message}`, { retryable: false });
  return new TransientError(`${where} could not be reached: ${e.code ?? ""} ${e.message}`.replace(/\s+/g, " "), { cause: e });
}
