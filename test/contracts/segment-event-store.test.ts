import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { eventStoreContract } from "./event-store.contract.ts";
import { SegmentEventStore } from "../../storage/eventlog/segment-event-store.ts";
import { SegmentReader } from "../../storage/eventlog/segment-reader.ts";

/** The segment file holding a run's lines, and where each line starts and ends. */
function linesOf(store: SegmentEventStore, runId: string): Array<{ file: string; at: number; end: number }> {
  return store.locate(runId).lines.map((l) => ({ file: l.file, at: l.at, end: l.at + runId.length + 1 + Buffer.byteLength(l.body) + 1 }));
}

/** A pid no process has: what a killed writer's pid in a segment's name looks like. */
function deadPid(): number {
  for (let pid = 4_000_000; ; pid--) {
    try {
      process.kill(pid, 0);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ESRCH") return pid;
    }
  }
}

/** Where a segment's data ends: after its last byte that is not zero (the rest is space kept ready for writes). */
function dataEnd(file: string): number {
  const buf = fs.readFileSync(file);
  let end = buf.length;
  while (end > 0 && buf[end - 1] === 0) end--;
  return end;
}

eventStoreContract("SegmentEventStore", async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "keel-events-"));
  const dir = path.join(root, "runs");
  let store = new SegmentEventStore({ dir });
  let crashed = false;
  const harness = {
    store,
    async restart() {
      // after a tear the old store is dropped as a killed process leaves it: its segments unsealed
      if (!crashed) await store.close();
      crashed = false;
      store = new SegmentEventStore({ dir });
      harness.store = store;
      return store;
    },
    async tamper(runId: string, seq: number) {
      const { file, at, end } = linesOf(store, runId)[seq - 1];
      const buf = fs.readFileSync(file);
      const pos = at + Math.floor((end - at) * 0.75); // inside the JSON, not the newline
      buf[pos] = buf[pos] === 0x41 ? 0x42 : 0x41;
      fs.writeFileSync(file, buf);
    },
    async tear(runId: string) {
      const last = linesOf(store, runId).at(-1)!;
      expect(dataEnd(last.file)).toBe(last.end); // a crash can only tear a segment's last line
      // the last line loses its end and its newline: the segment's zero-filled space shows through
      const fd = fs.openSync(last.file, "r+");
      fs.writeSync(fd, Buffer.alloc(7), 0, 7, last.end - 7);
      fs.closeSync(fd);
      crashed = true;
    },
    async snapshot(runId: string) {
      const files = [...new Set(linesOf(store, runId).map((l) => l.file))];
      // the space a segment keeps ready for writes is not stored data: sealing gives it back
      return files.map((f) => fs.readFileSync(f).subarray(0, dataEnd(f)).toString("base64")).join("\n");
    },
    async dispose() {
      await store.close();
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
  return harness;
});

describe("SegmentEventStore's journal of open runs", () => {
  it("compacts itself once mostly finished runs, keeping the open ones", async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "keel-journal-"));
    try {
      const dir = path.join(root, "runs");
      const store = new SegmentEventStore({ dir });
      const ids = Array.from({ length: 700 }, (_, i) => `r-20260101-000000-${i.toString(16).padStart(10, "0")}`);
      for (const id of ids) {
        store.create(id);
        store.append(id, { type: "run.waiting" });
      }
      for (const id of ids.slice(0, 697)) store.finish(id);
      await store.sync();
      const journal = path.join(dir, "open.log");
      expect(fs.readFileSync(journal, "utf8").split("\n").length).toBeGreaterThan(1300);
      expect(await store.openRuns()).toEqual(ids.slice(697));
      const [segment] = store.locate(ids[697]).lines.map((l) => `${path.basename(path.dirname(l.file))}/${path.basename(l.file)}`);
      // the open runs, and the segment this store still writes (a restart after a crash looks there)
      expect(fs.readFileSync(journal, "utf8")).toBe(ids.slice(697).map((id) => `+${id}\n`).join("") + `@${segment}\n`);
      // the journal goes on after compaction, and a restart reads it
      store.finish(ids[698]);
      await store.close();
      expect(await new SegmentEventStore({ dir }).openRuns()).toEqual([ids[697], ids[699]]);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

describe("SegmentEventStore's segments", () => {
  const id = (i: number) => `r-20260101-000000-${i.toString(16).padStart(10, "0")}`;
  const line = (i: number) => ({ type: "node.log" as const, node: "n", message: `line ${i} ${"x".repeat(100)}` });
  let root: string;
  const hourDir = () => path.join(root, "runs", "20260101-00");
  const files = (ext: string) => fs.readdirSync(hourDir()).filter((f) => f.endsWith(ext));

  async function withStore<T>(fn: (store: SegmentEventStore) => Promise<T>, options: { segmentMax?: number } = {}): Promise<T> {
    const store = new SegmentEventStore({ dir: path.join(root, "runs"), ...options });
    try {
      return await fn(store);
    } finally {
      await store.close();
    }
  }

  async function codeOf(p: Promise<unknown>): Promise<{ code?: string; message?: string }> {
    try {
      await p;
      return {};
    } catch (e) {
      return { code: (e as { code?: string }).code, message: (e as Error).message };
    }
  }

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "keel-segments-"));
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it("puts many runs' interleaved events in one segment, and reads each run back whole and in order", async () => {
    await withStore(async (store) => {
      for (let r = 0; r < 50; r++) store.create(id(r));
      for (let i = 1; i <= 4; i++) for (let r = 0; r < 50; r++) store.append(id(r), line(i * 100 + r));
      await store.sync();
      expect(files(".seg")).toHaveLength(1); // starting a run created no file
      for (const r of [0, 17, 49]) {
        const { events } = await store.read(id(r));
        expect(events.map((e) => [e.seq, e.type === "node.log" && e.message.split(" ")[1]])).toEqual([1, 2, 3, 4].map((i) => [i, String(i * 100 + r)]));
      }
    });
  });

  it("seals a full segment with an index beside it and goes on in a new one; runs spread over several read back whole after a restart", async () => {
    await withStore(
      async (store) => {
        for (let r = 0; r < 3; r++) store.create(id(r));
        for (let i = 1; i <= 60; i++) for (let r = 0; r < 3; r++) store.append(id(r), line(i));
        await store.sync();
      },
      { segmentMax: 4096 },
    );
    expect(files(".seg").length).toBeGreaterThan(5);
    expect(files(".idx")).toHaveLength(files(".seg").length); // every segment sealed at close
    await withStore(async (store) => {
      for (let r = 0; r < 3; r++) expect((await store.read(id(r))).events.map((e) => e.seq)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    });
  });

  it("reports a damaged run id in a sealed segment as corruption, never as a shorter run", async () => {
    await withStore(async (store) => {
      store.create(id(1));
      store.create(id(2));
      for (let i = 1; i <= 3; i++) {
        store.append(id(1), line(i));
        store.append(id(2), line(i));
      }
    });
    const [seg] = files(".seg").map((f) => path.join(hourDir(), f));
    const buf = fs.readFileSync(seg);
    const last = buf.lastIndexOf(Buffer.from(`${id(1)} `));
    buf[last + 20] = buf[last + 20] === 0x30 ? 0x31 : 0x30; // inside the run id: the line now names another run
    fs.writeFileSync(seg, buf);
    await withStore(async (store) => {
      const err = await codeOf(store.read(id(1)));
      expect(err.code).toBe("CORRUPT");
      expect(err.message).toContain(id(1));
      expect(err.message).toContain(seg);
      expect((await store.read(id(2))).events).toHaveLength(3); // the other run is whole
    });
    expect(fs.readFileSync(seg).equals(buf)).toBe(true);
  });

  it("reads a segment still being written, whose last line is cut shorter than a run id", async () => {
    const store = new SegmentEventStore({ dir: path.join(root, "runs") });
    try {
      store.create(id(1));
      for (let i = 1; i <= 3; i++) store.append(id(1), line(i));
      await store.sync();
      const [seg] = files(".seg").map((f) => path.join(hourDir(), f));
      const fd = fs.openSync(seg, "r+");
      fs.writeSync(fd, "r-20260101", dataEnd(seg)); // another run's line, torn after ten bytes
      fs.closeSync(fd);
      const { events, tornTail } = new SegmentReader(path.join(root, "runs")).read(id(1)); // no index yet: scanned
      expect(events.map((e) => e.seq)).toEqual([1, 2, 3]);
      expect(tornTail).toBe(false);
    } finally {
      await store.close();
    }
  });

  it("flushes the journal with a new segment, not with a run's `+id` or `-id`: a run's first flush covers one file", async () => {
    await withStore(async (store) => {
      store.create(id(1));
      store.append(id(1), line(1));
      let before = store.stats().syncs;
      await store.sync();
      expect(store.stats().syncs - before).toBe(4); // the new segment, its folders, and the journal's `@` naming it
      store.create(id(2));
      store.append(id(2), line(1));
      before = store.stats().syncs;
      await store.sync();
      expect(store.stats().syncs - before).toBe(1); // the segment only
      store.finish(id(1));
      store.append(id(2), line(2));
      before = store.stats().syncs;
      await store.sync();
      expect(store.stats().syncs - before).toBe(1); // the segment only
      expect(fs.readFileSync(path.join(root, "runs", "open.log"), "utf8")).toContain(`-${id(1)}\n`); // written all the same
    });
  });

  it("finds after a crash the runs whose `+id` a power cut lost, in the segments the dead process never sealed", async () => {
    const dir = path.join(root, "runs");
    const killed = new SegmentEventStore({ dir });
    for (const r of [1, 2, 3]) {
      killed.create(id(r));
      killed.append(id(r), line(1));
    }
    killed.finish(id(3));
    await killed.sync(); // then "killed": never closed, its segment never sealed
    // a power cut kept the flushed part of the journal (the segment's `@`), not the runs' `+id`s
    const journal = path.join(dir, "open.log");
    const kept = fs.readFileSync(journal, "utf8").split("\n").filter((l) => l[0] !== "+");
    expect(kept.some((l) => l.startsWith("@"))).toBe(true);
    fs.writeFileSync(journal, kept.join("\n"));
    const store = new SegmentEventStore({ dir });
    expect(await store.openRuns()).toEqual([id(1), id(2)]); // run 3 finished: its `-id` says so
    // the runs found are in the journal now, durably: the next restart needs no search
    expect(fs.readFileSync(journal, "utf8")).toBe(`+${id(1)}\n+${id(2)}\n`);
    await store.close();
    expect(await new SegmentEventStore({ dir }).openRuns()).toEqual([id(1), id(2)]);
  });

  it("keeps zero-filled space ahead of its writes (an fdatasync then has no file size to record), and gives it back when sealed", async () => {
    const store = new SegmentEventStore({ dir: path.join(root, "runs") });
    store.create(id(1));
    for (let i = 1; i <= 3; i++) store.append(id(1), line(i));
    await store.sync();
    const [seg] = files(".seg").map((f) => path.join(hourDir(), f));
    const end = dataEnd(seg);
    expect(fs.statSync(seg).size).toBeGreaterThanOrEqual(end + 64 * 1024);
    await store.close();
    expect(fs.statSync(seg).size).toBe(end);
    expect(fs.readFileSync(`${seg}.idx`, "utf8")).toContain(`keel-segment-index 1 ${end}\n`);
  });

  it("reads the segment a killed writer left, with its zero-filled tail, and indexes it once", async () => {
    const killed = new SegmentEventStore({ dir: path.join(root, "runs") });
    for (const r of [1, 2]) killed.create(id(r));
    for (let i = 1; i <= 3; i++) for (const r of [1, 2]) killed.append(id(r), line(i));
    await killed.sync(); // then "killed": never closed, its segment never sealed
    const [seg] = files(".seg").map((f) => path.join(hourDir(), f));
    const dead = path.join(hourDir(), path.basename(seg).replace(`-${process.pid}-`, `-${deadPid()}-`));
    fs.copyFileSync(seg, dead);
    fs.rmSync(seg);
    expect(fs.statSync(dead).size).toBeGreaterThan(dataEnd(dead));
    await withStore(async (store) => {
      for (const r of [1, 2]) expect((await store.read(id(r))).events.map((e) => e.seq)).toEqual([1, 2, 3]);
      expect(await store.openRuns()).toEqual([id(1), id(2)]);
    });
    expect(fs.readFileSync(`${dead}.idx`, "utf8")).toContain(`keel-segment-index 1 ${fs.statSync(dead).size}\n`);
  });

  it("reports a hole of zeros amid a segment's lines (a write the disk lost) as corruption of the runs it cut, with their line numbers", async () => {
    const killed = new SegmentEventStore({ dir: path.join(root, "runs") });
    for (const r of [1, 2]) killed.create(id(r));
    for (let i = 1; i <= 3; i++) for (const r of [1, 2]) killed.append(id(r), line(i));
    killed.create(id(3));
    for (let i = 1; i <= 2; i++) killed.append(id(3), line(i));
    await killed.sync();
    const lines1 = killed.locate(id(1)).lines;
    const lines2 = killed.locate(id(2)).lines;
    const seg = lines1[0].file;
    // zeros from the middle of run 1's second line (line 3 of the segment) into run 2's second line
    const from = lines1[1].at + 40;
    const to = lines2[1].at + 40;
    const fd = fs.openSync(seg, "r+");
    fs.writeSync(fd, Buffer.alloc(to - from), 0, to - from, from);
    fs.closeSync(fd);
    const before = fs.readFileSync(seg);
    await withStore(async (store) => {
      const one = await codeOf(store.read(id(1)));
      expect(one.code).toBe("CORRUPT");
      expect(one.message).toContain(`line 3 of ${seg}`);
      expect((await codeOf(store.read(id(2)))).code).toBe("CORRUPT");
      expect((await store.read(id(3))).events.map((e) => e.seq)).toEqual([1, 2]); // untouched by the hole
    });
    expect(fs.readFileSync(seg).equals(before)).toBe(true);
  });

  it("ignores an index that is damaged or does not match its segment, and scans the segment instead", async () => {
    await withStore(async (store) => {
      store.create(id(1));
      for (let i = 1; i <= 5; i++) store.append(id(1), line(i));
    });
    const [idx] = files(".idx").map((f) => path.join(hourDir(), f));
    const good = fs.readFileSync(idx, "utf8");
    expect(good).toContain(`${id(1)} 0 `);
    fs.writeFileSync(idx, `${good.split("\n")[0]}\nnonsense\nend 0\n`);
    await withStore(async (store) => expect((await store.read(id(1))).events).toHaveLength(5));
    fs.writeFileSync(idx, good.replace(/^(keel-segment-index 1) \d+/, "$1 999999")); // a size that is not the segment's
    await withStore(async (store) => expect((await store.read(id(1))).events).toHaveLength(5));
    fs.writeFileSync(idx, good.replace(`${id(1)} 0 `, `${id(1)} 1 `)); // a range that starts inside a line
    await withStore(async (store) => expect(await codeOf(store.read(id(1)))).toMatchObject({ code: "CORRUPT" }));
  });
});
