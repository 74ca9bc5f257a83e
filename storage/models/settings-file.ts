/**
 * Reads the `models` section of `<data>/settings.json`. The file is read again when it changes
 * (checked by mtime and size on each call, a stat), so an operator's edit applies to the next
 * model call without a restart. A missing file means the defaults; a file that does not parse
 * or validate fails each model call with a message naming the file and the bad setting, and
 * is never written over.
 */
import fs from "node:fs";
import path from "node:path";
import { CorruptError, type KeelError } from "../../runtime/errors.ts";
import { defaultModelSettings, parseModelSettings, type ModelSettings } from "../../runtime/models/settings.ts";

/** The settings file of a data folder. */
export function settingsFileOf(dataDir: string): string {
  return path.join(dataDir, "settings.json");
}

/** Returns a function giving the current model settings of `file`. */
export function modelSettingsLoader(file: string): () => ModelSettings {
  let seen: string | undefined;
  let current: ModelSettings | KeelError = defaultModelSettings();
  return () => {
    let stamp: string;
    try {
      const st = fs.statSync(file);
      stamp = `${st.mtimeMs}:${st.size}`;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
      stamp = "absent";
    }
    if (stamp !== seen) {
      seen = stamp;
      current = stamp === "absent" ? defaultModelSettings() : load(file);
    }
    if (current instanceof Error) throw current;
    return current;
  };
}

function load(file: string): ModelSettings | KeelError {
  let doc: unknown;
  try {
    doc = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    return new CorruptError(`${file} is not valid JSON (${(e as Error).message}); fix it to use models other than the defaults`, { details: { file } });
  }
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) return new CorruptError(`${file} must hold a JSON object`, { details: { file } });
  try {
    return parseModelSettings((doc as Record<string, unknown>).models, file);
  } catch (e) {
    return e as KeelError;
  }
}
