/**
 * `keel credentials add | list | allow | remove | rotate-key`. Secret values are read from stdin
 * or a prompt that does not echo, never from the command line (argv is visible to every user of
 * the machine and lands in shell history); nothing here ever prints a value.
 */
import type { Command } from "commander";
import { ValidationError } from "../../runtime/errors.ts";
import { CREDENTIAL_KINDS, isSecretField, openVault, type AllowedFlows } from "../../storage/vault/index.ts";
import { command, dataDirOf, printJson } from "./common.ts";

const MAX_STDIN_BYTES = 64 * 1024;

interface AddOptions {
  kind: string;
  field: string[];
  secret: string[];
  allow: string[];
  replace?: boolean;
  data?: string;
}

export function registerCredentialsCommands(program: Command): void {
  const credentials = program.command("credentials").description("the credential vault: encrypted at rest, values never shown");

  credentials
    .command("add")
    .description("store a credential; secret fields are read from stdin or a hidden prompt, never from the command line")
    .argument("<name>", "credential name (flows refer to it by this name)")
    .requiredOption("--kind <kind>", "http-header, basic, smtp, api-key, oauth-token, or your own kind")
    .option("--field <key=value>", "a field that is not secret (e.g. name=Authorization, username=me); repeatable", collect, [])
    .option("--secret <field>", "a secret field to read (default: the kind's required secret fields); repeatable", collect, [])
    .option("--allow <flow...>", 'flows that may use it ("*" for every flow); none by default', [])
    .option("--replace", "replace a credential of the same name")
    .option("--data <dir>", "data folder (default ./.keel or $KEEL_DATA)")
    .addHelpText(
      "after",
      "\nWith one secret field, stdin (or the prompt) is its value. With several, stdin holds field=value lines.\n" +
        "Example: printf %s \"$TOKEN\" | keel credentials add crm --kind http-header --field name=Authorization --allow crm-sync",
    )
    .action(
      command(async (name: string, opts: AddOptions) => {
        const fields: Record<string, string> = {};
        for (const pair of opts.field) {
          const eq = pair.indexOf("=");
          if (eq <= 0) throw new ValidationError(`--field ${pair}: expected key=value`);
          const key = pair.slice(0, eq);
          if (isSecretField(opts.kind, key)) {
            throw new ValidationError(`--field ${key}: ${key} is secret for kind ${opts.kind}; give it on stdin or at the prompt, not on the command line`);
          }
          fields[key] = pair.slice(eq + 1);
        }
        const wanted = opts.secret.length ? opts.secret : defaultSecrets(opts.kind, fields);
        if (wanted.length === 0 && Object.keys(fields).length === 0) {
          throw new ValidationError(`kind ${opts.kind} is not one Keel knows: name its secret fields with --secret FIELD`);
        }
        Object.assign(fields, await readSecrets(wanted));
        const vault = openVault(dataDirOf(opts));
        const info = vault.add({ name, kind: opts.kind, fields, allowedFlows: allowedOf(opts.allow) }, { replace: opts.replace });
        printJson(info);
        if (info.allowedFlows !== "*" && info.allowedFlows.length === 0) {
          process.stderr.write(`keel: no flow may use "${name}" yet; allow some with: keel credentials allow ${name} FLOW…\n`);
        }
      }),
    );

  credentials
    .command("list")
    .description("list credentials: names, kinds, allowed flows and field names (never values)")
    .option("--data <dir>", "data folder (default ./.keel or $KEEL_DATA)")
    .action(
      command(async (opts: { data?: string }) => {
        for (const info of openVault(dataDirOf(opts)).list()) printJson(info);
      }),
    );

  credentials
    .command("allow")
    .description('set which flows may use a credential ("*" for every flow, nothing for none)')
    .argument("<name>", "credential name")
    .argument("[flows...]", "flow ids")
    .option("--data <dir>", "data folder (default ./.keel or $KEEL_DATA)")
    .action(
      command(async (name: string, flows: string[], opts: { data?: string }) => {
        printJson(openVault(dataDirOf(opts)).update(name, { allowedFlows: allowedOf(flows) }));
      }),
    );

  credentials
    .command("remove")
    .description("remove a credential")
    .argument("<name>", "credential name")
    .option("--data <dir>", "data folder (default ./.keel or $KEEL_DATA)")
    .action(
      command(async (name: string, opts: { data?: string }) => {
        if (!openVault(dataDirOf(opts)).remove(name)) throw new ValidationError(`no credential named "${name}"`);
        printJson({ removed: name });
      }),
    );

  credentials
    .command("rotate-key")
    .description("re-encrypt every credential under a new master key (with KEEL_MASTER_KEY, the new key is read from stdin or a prompt)")
    .option("--data <dir>", "data folder (default ./.keel or $KEEL_DATA)")
    .action(
      command(async (opts: { data?: string }) => {
        const vault = openVault(dataDirOf(opts));
        const fromEnv = Boolean(process.env.KEEL_MASTER_KEY);
        const next = fromEnv ? (await readSecrets(["new master key"]))["new master key"] : undefined;
        const result = vault.rotateKey(next);
        printJson(result);
        process.stderr.write(
          fromEnv
            ? "keel: the vault is sealed with the new key: set KEEL_MASTER_KEY to it before the next start\n"
            : "keel: the vault is sealed with a new key, now in the key file\n",
        );
      }),
    );
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** The secret fields read when --secret is not given: the kind's required ones (or all its secret ones when none is required). */
function defaultSecrets(kind: string, given: Record<string, string>): string[] {
  const spec = CREDENTIAL_KINDS[kind];
  if (!spec) return [];
  const secrets = Object.entries(spec.fields).filter(([k, f]) => f.secret && !(k in given));
  const required = secrets.filter(([, f]) => f.required);
  return (required.length ? required : secrets).map(([k]) => k);
}

function allowedOf(flows: string[]): AllowedFlows {
  if (flows.includes("*")) {
    if (flows.length > 1) throw new ValidationError('"*" allows every flow: give it alone');
    return "*";
  }
  return flows;
}

/** Secret values: from a hidden prompt on a terminal, else from stdin (the whole of it for one field, field=value lines for several). */
async function readSecrets(fields: string[]): Promise<Record<string, string>> {
  if (fields.length === 0) return {};
  const out: Record<string, string> = {};
  if (process.stdin.isTTY) {
    for (const f of fields) {
      out[f] = await promptHidden(`${f}: `);
      if (!out[f]) throw new ValidationError(`${f}: nothing entered`);
    }
    return out;
  }
  const text = await readStdin();
  if (fields.length === 1) {
    out[fields[0]] = text.replace(/\r?\n$/, "");
  } else {
    for (const line of text.split(/\r?\n/)) {
      if (!line) continue;
      const eq = line.indexOf("=");
      if (eq <= 0) throw new ValidationError(`stdin: expected field=value lines for ${fields.join(", ")}`);
      out[line.slice(0, eq)] = line.slice(eq + 1);
    }
  }
  const missing = fields.filter((f) => !out[f]);
  if (missing.length) throw new ValidationError(`stdin gave no value for ${missing.join(", ")}`);
  return out;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    size += (chunk as Buffer).length;
    if (size > MAX_STDIN_BYTES) throw new ValidationError(`stdin is over ${MAX_STDIN_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** Reads a line from the terminal without echoing it. */
function promptHidden(prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    process.stderr.write(prompt);
    stdin.setRawMode(true);
    stdin.resume();
    let value = "";
    const done = (error?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off("data", onData);
      process.stderr.write("\n");
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString("utf8")) {
        if (ch === "\r" || ch === "\n") return done();
        if (ch === "\u0003") return done(new ValidationError("canceled"));
        if (ch === "\u007f" || ch === "\b") value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.on("data", onData);
  });
}
