/** `keel memory ingest`, `keel memory search`, `keel memory stats`, `keel memory forget`. */
import type { Command } from "commander";
import { ValidationError } from "../../runtime/errors.ts";
import { MEMORY_TIERS, type MemoryHit, type MemoryTier } from "../../runtime/memory.ts";
import type { IngestProgress } from "../../storage/memory/ingest.ts";
import { openKeel, type Keel } from "../keel.ts";
import { command, dataDirOf, printJson } from "./common.ts";

/** Opens the data folder for a memory command and closes it after. */
async function withMemory<T>(opts: { data?: string }, body: (keel: Keel) => Promise<T>): Promise<T> {
  const keel = openKeel({ dataDir: dataDirOf(opts) });
  try {
    return await body(keel);
  } finally {
    await keel.close();
  }
}

/**
 * A progress bar on stderr: redrawn in place on a terminal (at most ~10 times a second),
 * a line per 10% otherwise (logs, CI).
 */
export function progressBar(write: (s: string) => void = (s) => process.stderr.write(s), isTTY = Boolean(process.stderr.isTTY)) {
  let lastDraw = 0;
  let lastTenth = -1;
  const started = performance.now();
  return {
    update(p: IngestProgress): void {
      const fraction = p.chunksTotal === 0 ? 1 : p.chunksDone / p.chunksTotal;
      const now = performance.now();
      const rate = p.chunksDone / Math.max(0.001, (now - started) / 1000);
      const label = `${p.chunksDone}/${p.chunksTotal} chunks to embed · ${p.filesTotal} files · ${Math.round(rate)} chunks/s`;
      if (isTTY) {
        if (now - lastDraw < 100 && p.chunksDone < p.chunksTotal) return;
        lastDraw = now;
        const width = 28;
        const full = Math.round(fraction * width);
        write(`\r[${"#".repeat(full)}${"-".repeat(width - full)}] ${String(Math.round(fraction * 100)).padStart(3)}% ${label}\x1b[K`);
      } else {
        const tenth = Math.floor(fraction * 10);
        if (tenth === lastTenth) return;
        lastTenth = tenth;
        write(`${String(tenth * 10).padStart(3)}% ${label}\n`);
      }
    },
    done(): void {
      if (isTTY && lastDraw > 0) write("\n");
    },
  };
}

function positiveInt(name: string, text: string, max: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new ValidationError(`${name} must be an integer from 1 to ${max}, got ${JSON.stringify(text)}`);
  return n;
}

function tierOf(text: string | undefined): MemoryTier | undefined {
  if (text === undefined) return undefined;
  if (!(MEMORY_TIERS as readonly string[]).includes(text)) throw new ValidationError(`--tier must be one of ${MEMORY_TIERS.join(", ")}, got ${JSON.stringify(text)}`);
  return text as MemoryTier;
}

/** One hit as a few readable lines. */
function printHit(hit: MemoryHit, rank: number): void {
  const text = hit.text.replace(/\s+/g, " ");
  process.stdout.write(
    `${rank}. ${hit.citation}  (score ${hit.score.toFixed(4)}${hit.similarity === undefined ? "" : `, cosine ${hit.similarity.toFixed(2)}`}, ${hit.collection}/${hit.tier}, id ${hit.id})\n` +
      `   ${text.length > 300 ? `${text.slice(0, 300)}…` : text}\n`,
  );
}

export function registerMemoryCommands(program: Command): void {
  const memory = program.command("memory").description("load documents into memory, search it, see what it holds");

  memory
    .command("ingest")
    .description("chunk, embed and store a folder of .md/.txt/.pdf files; unchanged files are skipped, changed ones replaced")
    .argument("<dir>", "folder to ingest (recursively)")
    .option("--collection <name>", "collection to store into (default: the folder's name)")
    .option("--tier <tier>", "working or long (default long)")
    .option("--prune", "also remove chunks of files no longer in the folder")
    .option("--data <dir>", "data folder (default ./.keel or $KEEL_DATA)")
    .option("-q, --quiet", "no progress bar")
    .action(
      command(async (dir: string, opts: { collection?: string; tier?: string; prune?: boolean; data?: string; quiet?: boolean }) => {
        const tier = tierOf(opts.tier);
        const bar = opts.quiet ? undefined : progressBar();
        await withMemory(opts, async (keel) => {
          const report = await keel.memory.ingest(dir, {
            ...(opts.collection ? { collection: opts.collection } : {}),
            ...(tier ? { tier } : {}),
            prune: Boolean(opts.prune),
            onProgress: (p) => bar?.update(p),
          });
          bar?.done();
          for (const s of report.skipped) process.stderr.write(`keel: skipped ${s.file}: ${s.reason}\n`);
          printJson(report);
        });
      }),
    );

  memory
    .command("search")
    .description("hybrid search (meaning + words) over memory; best first, with citations")
    .argument("<query>", "what to look for")
    .option("-k, --k <n>", "how many results", "5")
    .option("--collection <name>", "one collection only")
    .option("--tier <tier>", "working or long")
    .option("--json", "print the results as JSON")
    .option("--data <dir>", "data folder (default ./.keel or $KEEL_DATA)")
    .action(
      command(async (query: string, opts: { k: string; collection?: string; tier?: string; json?: boolean; data?: string }) => {
        const k = positiveInt("--k", opts.k, 100);
        const tier = tierOf(opts.tier);
        await withMemory(opts, async (keel) => {
          const hits = await keel.memory.search(query, { k, ...(opts.collection ? { collection: opts.collection } : {}), ...(tier ? { tier } : {}) });
          if (opts.json) return printJson({ query, items: hits });
          if (!hits.length) process.stderr.write("keel: nothing found\n");
          hits.forEach((h, i) => printHit(h, i + 1));
        });
      }),
    );

  memory
    .command("stats")
    .description("memories per table (embedding model), collection and tier; index state")
    .option("--data <dir>", "data folder (default ./.keel or $KEEL_DATA)")
    .action(
      command(async (opts: { data?: string }) => {
        await withMemory(opts, async (keel) => printJson(await keel.memory.stats()));
      }),
    );

  memory
    .command("forget")
    .description("delete a memory by id")
    .argument("<id>", "memory id (from search)")
    .option("--data <dir>", "data folder (default ./.keel or $KEEL_DATA)")
    .action(
      command(async (id: string, opts: { data?: string }) => {
        return withMemory(opts, async (keel) => {
          if (await keel.memory.forget(id)) return 0;
          process.stderr.write(`keel: no memory with id ${id}\n`);
          return 1;
        });
      }),
    );
}
