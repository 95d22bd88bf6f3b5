import { closeSync, constants, existsSync, fstatSync, ftruncateSync, openSync, readFileSync, readSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/**
 * Where a run's journal lines go, one whole line at a time, each in the
 * kernel's hands (the page cache) before `append` returns, so a kill -9 right
 * after never loses it. The engine appends before it acts on each event.
 */
export interface JournalAppender {
  /** Appends one whole line (ending in LF); it is in the file (the page cache) when this returns. Throws an Error with an errno `code` (ENOSPC, EDQUOT, …) when the file cannot grow; nothing of the line is then counted. */
  append(line: string): void;
  /** Bytes of whole lines in the file: where the next line goes. */
  readonly size: number;
  /** Which way lines are written: into a shared mapping of the file, or with write(2) (no addon, or mmap refused by the filesystem). */
  readonly kind: 'mapped' | 'write';
  /** Cuts the file to its lines (dropping the unused zero tail a mapping leaves) and closes it. Safe twice. */
  close(): void;
  /** Empties the file (size 0) and keeps it open for appending. */
  truncate(): void;
}

export interface JournalOptions {
  /** false writes with write(2) even where the file could be mapped (default true). */
  mapped?: boolean;
  /** Bytes mapped at a time, a multiple of the page size (default 256 KiB): tests make it small to cross windows cheaply. */
  windowBytes?: number;
  /** Bytes the file grows by at a time, at least (default 1 MiB). */
  growBytes?: number;
}

/** The addon, src/persist/journal-map.c. */
interface JournalMap {
  map(fd: number, offset: number, length: number): ArrayBuffer;
  /** Detaches and munmaps now; the ArrayBuffer's finalizer would only after a GC. */
  unmap(buffer: ArrayBuffer): void;
  /** posix_fallocate: the file at least offset + length long, its blocks reserved (ENOSPC, EDQUOT thrown). */
  allocate(fd: number, offset: number, length: number): void;
  readonly pageSize: number;
}

/**
 * Small on purpose: V8 counts an ArrayBuffer's bytes as external memory and
 * collects garbage sooner the more there is, mapped or not. A 64 MiB window
 * made a run of 10,000 no-op tasks ~12% slower in GC alone (BENCHMARKS.md,
 * persist round 6); moving a window costs an mmap and a munmap.
 */
const WINDOW = 256 * 2 ** 10;
const GROW = 2 ** 20;

/** undefined: not looked for yet; null: none (not built, or it did not load). */
let loaded: JournalMap | null | undefined;

function journalMap(): JournalMap | undefined {
  if (loaded === undefined) {
    const candidates = [new URL('./journal-map.node', import.meta.url)];
    // Run from the TypeScript sources (ts-jest) nothing is built beside this file: the build's copy is.
    if (import.meta.url.endsWith('.ts')) candidates.push(new URL('../../dist/src/persist/journal-map.node', import.meta.url));
    const file = candidates.map((url) => fileURLToPath(url)).find((f) => existsSync(f));
    try {
      loaded = file === undefined ? null : (createRequire(import.meta.url)(file) as JournalMap);
    } catch {
      loaded = null; // built for another Node or machine: write(2) does the same job
    }
  }
  return loaded ?? undefined;
}

/**
 * Opens (creating it) a journal to append lines to. What it holds is kept to
 * its whole lines: a line cut by a crash mid-write and a mapping's zero tail
 * are cut off, so a new line never glues onto a cut one. Mapped unless
 * `opts.mapped` is false, the addon is missing or the filesystem refuses mmap.
 */
export function openJournal(file: string, opts: JournalOptions = {}): JournalAppender {
  const addon = opts.mapped === false ? undefined : journalMap();
  if (addon !== undefined) {
    // Read and write: a shared writable mapping needs both; no O_APPEND, lines go at offsets.
    const fd = openSync(file, constants.O_RDWR | constants.O_CREAT, 0o644);
    try {
      const size = keepWholeLines(fd);
      return new MappedJournal(addon, fd, size, opts.windowBytes ?? WINDOW, opts.growBytes ?? GROW);
    } catch (err) {
      closeSync(fd);
      if (!(err instanceof MapRefused)) throw err;
    }
  }
  const fd = openSync(file, 'a+', 0o644);
  try {
    return new WrittenJournal(fd, keepWholeLines(fd));
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

/** A journal's text: its whole lines up to the first NUL byte (a mapped journal's unused tail, also after a crash). */
export function readJournalText(file: string): string {
  const bytes = readFileSync(file);
  return bytes.toString('utf8', 0, wholeLinesIn(bytes, 0));
}

/** Bytes of whole lines in `bytes` before the first NUL; `end` if there is no LF in it. */
function wholeLinesIn(bytes: Buffer, end: number): number {
  const nul = bytes.indexOf(0);
  const upto = nul < 0 ? bytes.length : nul;
  // lastIndexOf(…, -1) would search from the end: nothing before a NUL at 0 is no line.
  const lf = upto > 0 ? bytes.lastIndexOf(10, upto - 1) : -1;
  return lf >= 0 ? lf + 1 : end;
}

/** Cuts the file after its last whole line (see openJournal) and returns that length. Reads it a chunk at a time: a journal can be large. */
function keepWholeLines(fd: number): number {
  const chunk = Buffer.allocUnsafe(GROW);
  let end = 0;
  let position = 0;
  for (;;) {
    const n = readSync(fd, chunk, 0, chunk.length, position);
    const read = chunk.subarray(0, n);
    end = position + wholeLinesIn(read, end - position);
    if (n === 0 || read.includes(0)) break;
    position += n;
  }
  // ftruncate, not a rewrite: a cut line or zero tail left past `end` would sit between the old lines and the next.
  if (fstatSync(fd).size > end) ftruncateSync(fd, end);
  return end;
}

/** mmap refused for this file (its filesystem cannot map, say): write(2) is used instead. */
class MapRefused extends Error {}

/**
 * Lines stored into a MAP_SHARED window of the file. The file is first grown
 * with its blocks reserved, so a full disk is an exception here and never a
 * SIGBUS from a store past the file's end, or into a hole, later.
 */
class MappedJournal implements JournalAppender {
  readonly kind = 'mapped';
  private fd: number | undefined;
  /** The file's length: zeros past `size`, really allocated. */
  private allocated: number;
  private window: { start: number; buffer: ArrayBuffer; bytes: Buffer } | undefined;

  constructor(
    private readonly addon: JournalMap,
    fd: number,
    public size: number,
    private readonly windowBytes: number,
    private readonly growBytes: number,
  ) {
    if (windowBytes % addon.pageSize !== 0) throw new RangeError(`windowBytes ${windowBytes} is not a multiple of the page size (${addon.pageSize})`);
    this.fd = fd;
    this.allocated = size;
    try {
      this.moveWindow(size);
    } catch (err) {
      throw new MapRefused(String(err), { cause: err });
    }
  }

  append(line: string): void {
    const fd = this.open();
    const n = Buffer.byteLength(line);
    const end = this.size + n;
    this.grow(fd, end);
    if (!this.inWindow(this.size, end) && this.size + n <= this.alignDown(this.size) + this.windowBytes) this.moveWindow(this.size);
    if (this.window !== undefined && this.inWindow(this.size, end)) {
      this.window.bytes.write(line, this.size - this.window.start, 'utf8');
    } else {
      // Longer than a window: written. Linux's page cache is one, so the mapping sees it.
      const bytes = Buffer.from(line, 'utf8');
      for (let done = 0; done < n; ) done += writeSync(fd, bytes, done, n - done, this.size + done);
    }
    this.size = end;
  }

  close(): void {
    if (this.fd === undefined) return;
    const fd = this.fd;
    this.fd = undefined;
    if (this.window !== undefined) this.addon.unmap(this.window.buffer);
    this.window = undefined;
    try {
      ftruncateSync(fd, this.size);
    } finally {
      closeSync(fd);
    }
  }

  truncate(): void {
    // The window stays mapped: nothing is stored into it before the file has grown again.
    ftruncateSync(this.open(), 0);
    this.size = 0;
    this.allocated = 0;
  }

  private open(): number {
    if (this.fd === undefined) throw new Error('the journal is closed');
    return this.fd;
  }

  private alignDown(offset: number): number {
    return offset - (offset % this.addon.pageSize);
  }

  private inWindow(from: number, to: number): boolean {
    return this.window !== undefined && from >= this.window.start && to <= this.window.start + this.windowBytes;
  }

  private moveWindow(at: number): void {
    const start = this.alignDown(at);
    // Mapped before the old one goes: if mmap fails, the old window is still there.
    const buffer = this.addon.map(this.open(), start, this.windowBytes);
    if (this.window !== undefined) this.addon.unmap(this.window.buffer);
    this.window = { start, buffer, bytes: Buffer.from(buffer) };
  }

  /**
   * Makes the file at least `end` long, a step at a time, its blocks reserved
   * now (posix_fallocate), so ENOSPC and EDQUOT are thrown here. Writing
   * zeros did the same at the cost of copying them: 3-45 ms for a
   * 10,000-task run's 5 MiB on ext4 here, most of the mapping's gain.
   */
  private grow(fd: number, end: number): void {
    if (end <= this.allocated) return;
    const target = Math.max(end, this.allocated + this.growBytes);
    try {
      this.addon.allocate(fd, this.allocated, target - this.allocated);
      this.allocated = target;
    } catch {
      // No room for a whole step (fallocate takes all of it or nothing): the line's own room may still be
      // there, and the disk is then all but full; the next step will say so. If not, this throws why.
      this.addon.allocate(fd, this.allocated, end - this.allocated);
      this.allocated = end;
    }
  }
}

/** A write(2) a line on a file opened for appending, as before the mapping. */
class WrittenJournal implements JournalAppender {
  readonly kind = 'write';
  private fd: number | undefined;

  constructor(
    fd: number,
    public size: number,
  ) {
    this.fd = fd;
  }

  append(line: string): void {
    const fd = this.open();
    const n = Buffer.byteLength(line);
    try {
      let done = writeSync(fd, line);
      if (done < n) {
        // A short write: the disk or a file size limit is at its end; the rest gets its own error.
        const bytes = Buffer.from(line, 'utf8');
        while (done < n) done += writeSync(fd, bytes, done, n - done);
      }
    } catch (err) {
      // Drop what part of the line got in, so the next line does not glue onto it.
      try {
        ftruncateSync(fd, this.size);
      } catch {
        // The error thrown is the one that says why.
      }
      throw err;
    }
    this.size += n;
  }

  close(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }

  truncate(): void {
    ftruncateSync(this.open(), 0);
    this.size = 0;
  }

  private open(): number {
    if (this.fd === undefined) throw new Error('the journal is closed');
    return this.fd;
  }
}
