/**
 * A real SMTP server (the smtp-server package) on 127.0.0.1 for tests: it keeps every mail it
 * receives, tells deliveries apart by Message-ID (a resend after a crash has the same one), and
 * can hold its answer to DATA (the mail is received, the sender not yet told) so a test can kill
 * the sender in that window.
 */
import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";

/** One mail as received. */
export interface ReceivedMail {
  messageId: string;
  from: string;
  to: string[];
  subject: string;
  headers: Record<string, string>;
  /** The whole message as sent (headers and MIME body). */
  raw: string;
  /** The text/plain part, decoded when quoted-printable or base64. */
  text: string;
}

/** A running sink. */
export interface SmtpSink {
  port: number;
  /** Every delivery, duplicates included. */
  received: ReceivedMail[];
  /** Deliveries with distinct Message-IDs: what the recipient sees once duplicates are recognised. */
  unique(): ReceivedMail[];
  /** Resolves when `n` deliveries have arrived (rejects after `timeoutMs`). */
  waitFor(n: number, timeoutMs?: number): Promise<ReceivedMail[]>;
  /** While held, DATA is received and recorded but not answered (the sender waits). */
  hold(on: boolean): void;
  close(): Promise<void>;
}

/** Starts a sink on 127.0.0.1 on a free port. */
export async function startSmtpSink(): Promise<SmtpSink> {
  const received: ReceivedMail[] = [];
  const waiters: Array<{ n: number; resolve: (m: ReceivedMail[]) => void }> = [];
  const heldAnswers: Array<() => void> = [];
  let holding = false;

  const server = new SMTPServer({
    secure: false,
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        const raw = Buffer.concat(chunks).toString("utf8");
        received.push(parseMail(raw, session.envelope.rcptTo.map((r) => r.address)));
        for (const w of [...waiters]) {
          if (received.length >= w.n) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve(received.slice());
          }
        }
        if (holding) heldAnswers.push(() => callback());
        else callback();
      });
    },
  });
  server.on("error", () => {}); // a client killed mid-session is expected here
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.server.address() as AddressInfo).port;

  return {
    port,
    received,
    unique() {
      const seen = new Set<string>();
      return received.filter((m) => !seen.has(m.messageId) && seen.add(m.messageId));
    },
    waitFor(n, timeoutMs = 20_000) {
      if (received.length >= n) return Promise.resolve(received.slice());
      return new Promise((resolve, reject) => {
        const w = { n, resolve };
        waiters.push(w);
        setTimeout(() => {
          const i = waiters.indexOf(w);
          if (i >= 0) {
            waiters.splice(i, 1);
            reject(new Error(`the SMTP sink got ${received.length} of ${n} mails in ${timeoutMs} ms`));
          }
        }, timeoutMs).unref();
      });
    },
    hold(on) {
      holding = on;
      if (!on) for (const answer of heldAnswers.splice(0)) answer();
    },
    close: () =>
      new Promise<void>((resolve) => {
        holding = false;
        for (const answer of heldAnswers.splice(0)) answer();
        server.close(() => resolve());
      }),
  };
}

function parseMail(raw: string, to: string[]): ReceivedMail {
  const split = raw.indexOf("\r\n\r\n");
  const head = split < 0 ? raw : raw.slice(0, split);
  const headers: Record<string, string> = {};
  for (const line of head.replace(/\r\n[ \t]+/g, " ").split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  return {
    messageId: headers["message-id"] ?? "",
    from: headers.from ?? "",
    to,
    subject: decodeWords(headers.subject ?? ""),
    headers,
    raw,
    text: textPart(raw),
  };
}

/** The text/plain part of a message (first one), decoded. */
function textPart(raw: string): string {
  const m = /Content-Type: text\/plain[^]*?\r\n\r\n([^]*?)(?:\r\n--[^\r\n]+|$)/i.exec(raw);
  if (!m) return "";
  const before = raw.slice(0, m.index + m[0].length - m[1].length);
  const encoding = /Content-Transfer-Encoding: ([\w-]+)\r\n(?![^]*Content-Type)/i.exec(before)?.[1]?.toLowerCase();
  const body = m[1];
  if (encoding === "base64") return Buffer.from(body.replace(/\s+/g, ""), "base64").toString("utf8");
  if (encoding === "quoted-printable") {
    return Buffer.from(body.replace(/=\r\n/g, "").replace(/=([0-9A-F]{2})/gi, (_x, h) => String.fromCharCode(parseInt(h, 16))), "latin1").toString("utf8");
  }
  return body;
}

/** RFC 2047 encoded words (=?UTF-8?Q?…?= / =?UTF-8?B?…?=) in a header. */
function decodeWords(s: string): string {
  return s
    .replace(/\?=\s+=\?/g, "?==?")
    .replace(/=\?([^?]+)\?([QB])\?([^?]*)\?=/gi, (_m, _cs, enc: string, text: string) =>
      enc.toUpperCase() === "B"
        ? Buffer.from(text, "base64").toString("utf8")
        : Buffer.from(text.replace(/_/g, " ").replace(/=([0-9A-F]{2})/gi, (_x, h) => String.fromCharCode(parseInt(h, 16))), "latin1").toString("utf8"),
    );
}
