/** Reading the user's files and arguments, with errors that say what and where. */
import fs from "node:fs";
import { ValidationError } from "../../runtime/errors.ts";

/** Largest flow or input file read (bytes). */
export const MAX_FILE_BYTES = 20 * 1024 * 1024;

/** Parses JSON text; the error names the source and the line and column of the problem. */
export function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    const msg = (e as Error).message;
    const pos = /position (\d+)/.exec(msg);
    let where = "";
    if (pos && !/line \d+ column \d+/.test(msg)) {
      const before = text.slice(0, Number(pos[1]));
      const line = before.split("\n").length;
      const column = Number(pos[1]) - before.lastIndexOf("\n");
      where = ` (line ${line}, column ${column})`;
    }
    throw new ValidationError(`${source}: not valid JSON: ${msg}${where}`);
  }
}

/** Reads and parses a JSON file, refusing missing, huge or unreadable files clearly. */
export function readJsonFile(file: string, what: string): unknown {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    throw new ValidationError(`${what} ${file}: no such file`);
  }
  if (!stat.isFile()) throw new ValidationError(`${what} ${file}: not a file`);
  if (stat.size > MAX_FILE_BYTES) throw new ValidationError(`${what} ${file}: ${stat.size} bytes is over the ${MAX_FILE_BYTES}-byte limit`);
  return parseJson(fs.readFileSync(file, "utf8"), `${what} ${file}`);
}

/** The run input from `--input` or `--input-file` (an empty object when neither is given). */
export function readInput(opts: { input?: string; inputFile?: string }): unknown {
  if (opts.input !== undefined && opts.inputFile !== undefined) {
    throw new ValidationError("give --input or --input-file, not both");
  }
  if (opts.inputFile !== undefined) return readJsonFile(opts.inputFile, "input file");
  if (opts.input !== undefined) {
    if (Buffer.byteLength(opts.input) > MAX_FILE_BYTES) throw new ValidationError("--input is too large; use --input-file");
    return parseJson(opts.input, "--input");
  }
  return {};
}
