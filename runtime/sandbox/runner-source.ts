/**
 * The JavaScript that prepares each fresh context inside an isolate before user code runs.
 *
 * It takes the host callback the host set on the global (`__keel_host`) into a closure (the
 * call's data, `__keel_in`, is set later and taken by `__keel_run`), removes what user code
 * must not have (SharedArrayBuffer, Atomics, WebAssembly), installs `console`, guards the array
 * methods that walk every index of a huge sparse array without ever checking for a timeout, and
 * defines the one-shot `__keel_run` that the user's wrapped code calls.
 *
 * Everything it uses later is captured here, before user code can change a prototype. Whatever
 * user code does to this context only affects this context: the host trusts nothing it gets
 * back and checks every value (see sandbox.ts). Only strings cross to the host.
 */

/** Limits baked into the bootstrap of an isolate. */
export interface RunnerLimits {
  /** Largest output accepted, in UTF-16 code units of its JSON text (the host checks bytes). */
  maxOutputChars: number;
  /** Longest console line passed to the host. */
  maxLogChars: number;
  /** console lines passed to the host per call; the rest are only counted. */
  maxLogLines: number;
  /** Arrays (and array-likes) longer than this are refused by the guarded array methods. */
  maxArrayLength: number;
}

/** Array methods whose loops over holes never reach an interrupt check (seen hanging for minutes). */
const GUARDED_ARRAY_METHODS = [
  "copyWithin", "every", "fill", "filter", "find", "findIndex", "findLast", "findLastIndex", "flat",
  "flatMap", "forEach", "indexOf", "lastIndexOf", "map", "reduce", "reduceRight", "reverse", "shift",
  "slice", "some", "sort", "splice", "toLocaleString", "toReversed", "toSorted", "toSpliced", "unshift",
  "with",
];

/** The bootstrap script text for the given limits. */
export function runnerSource(limits: RunnerLimits): string {
  return `(function () {
  "use strict";
  const g = globalThis;
  const host = g.__keel_host;
  delete g.__keel_host;
  delete g.SharedArrayBuffer;
  delete g.Atomics;
  delete g.WebAssembly;
  const apply = Reflect.apply;
  const defineProperty = Object.defineProperty;
  const parse = JSON.parse;
  const stringify = JSON.stringify;
  const toStr = String;
  const strSlice = String.prototype.slice;
  const PromiseCtor = Promise;
  const resolve = Promise.resolve;
  const then = Promise.prototype.then;
  const RangeErr = RangeError;
  const MAX_OUT = ${limits.maxOutputChars};
  const MAX_LINE = ${limits.maxLogChars};
  const MAX_ARRAY = ${limits.maxArrayLength};
  const MAX_LINES = ${limits.maxLogLines};
  let lines = 0;
  let dropped = 0;
  const cut = (s, n) => (s.length > n ? apply(strSlice, s, [0, n]) : s);
  let finished = false;

  const AP = Array.prototype;
  for (const name of ${JSON.stringify(GUARDED_ARRAY_METHODS)}) {
    const original = AP[name];
    if (typeof original !== "function") continue;
    const guarded = {
      [name](...args) {
        if (this !== null && this !== undefined && this.length > MAX_ARRAY) {
          throw new RangeErr("Array." + name + ": length " + this.length + " is over the sandbox limit of " + MAX_ARRAY);
        }
        return apply(original, this, args);
      },
    }[name];
    defineProperty(AP, name, { value: guarded, writable: true, configurable: true, enumerable: false });
  }

  const show = (v) => {
    if (typeof v === "string") return v;
    try {
      const s = stringify(v);
      if (typeof s === "string") return s;
    } catch (e) {}
    try {
      return toStr(v);
    } catch (e) {
      return "[unprintable]";
    }
  };
  const log = function (...args) {
    if (finished) return;
    if (lines >= MAX_LINES) {
      if (dropped++ === 0) host("dropped", 1);
      return;
    }
    lines++;
    let line = "";
    for (let i = 0; i < args.length && line.length <= MAX_LINE; i++) line += (i ? " " : "") + show(args[i]);
    host("log", cut(line, MAX_LINE));
  };
  defineProperty(g, "console", {
    value: { log, info: log, warn: log, error: log, debug: log, trace: log },
    writable: true,
    configurable: true,
    enumerable: false,
  });

  const fail = (kind, name, message, stack) => {
    finished = true;
    if (dropped) host("dropped", dropped);
    host(kind, cut(name, 200), cut(message, 4000), cut(stack, 8000));
  };
  const onValue = (value) => {
    if (finished) return;
    finished = true;
    if (dropped) host("dropped", dropped);
    const type = typeof value;
    if (type === "function" || type === "symbol" || type === "bigint") {
      return fail("output", "TypeError", "the code returned a " + type + ", which is not JSON", "");
    }
    let text;
    try {
      text = value === undefined ? "null" : stringify(value);
    } catch (e) {
      let why = "";
      try { why = toStr(e && e.message); } catch (e2) {}
      return fail("output", "TypeError", "the code returned a value that is not JSON: " + why, "");
    }
    if (typeof text !== "string") return fail("output", "TypeError", "the code returned a value that is not JSON", "");
    if (text.length > MAX_OUT) {
      return fail("output", "RangeError", "the output is " + text.length + " characters of JSON; the limit is " + MAX_OUT, "");
    }
    host("ok", text);
  };
  const onError = (e) => {
    if (finished) return;
    let name = "", message = "", stack = "";
    try {
      if (e !== null && (typeof e === "object" || typeof e === "function")) {
        name = toStr(e.name === undefined ? "Error" : e.name);
        message = e.message === undefined ? show(e) : toStr(e.message);
        stack = toStr(e.stack);
      } else {
        message = toStr(e);
      }
    } catch (e2) {
      if (!message) message = "[an error that could not be described]";
    }
    fail("thrown", name, message, stack);
  };

  g.__keel_run = function (fn) {
    delete g.__keel_run;
    const inputText = g.__keel_in;
    delete g.__keel_in;
    const data = parse(inputText);
    const helpers = { log, credentials: data.credentials };
    let pending;
    try {
      pending = fn(data.input, data.params, helpers);
    } catch (e) {
      return onError(e);
    }
    apply(then, apply(resolve, PromiseCtor, [pending]), [onValue, onError]);
  };
})();`;
}

/** The first line of the wrapped user code: user line 1 is script line 1 (lineOffset -1). */
export const USER_PREFIX = "(() => { __keel_run(async function (input, params, helpers) {";
/** Closes the wrapper on a line of its own, so a trailing `//` comment cannot swallow it. */
export const USER_SUFFIX = "\n}) })(); void 0;";
/** The filename user code shows in stack traces and error locations. */
export const USER_FILENAME = "code.js";

/** The script text for a user's code. */
export function wrapUserCode(code: string): string {
  return `${USER_PREFIX}\n${code}${USER_SUFFIX}`;
}
