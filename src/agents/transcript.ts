import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import stripAnsi from 'strip-ansi';
import { safeFileName } from '../os/file-name.js';

/** Text gathered before one write to the file: big enough that writes are few, small enough to stay flat. */
const FLUSH_CHARS = 64 * 1024;
/** An escape sequence left open at the end of a chunk is held back at most this long. */
const MAX_HELD = 256;

/**
 * A task's full plain-text transcript, `<logDir>/<taskId>.log`, appended across
 * attempts and bounded only by the disk: output from pipes with ANSI escape
 * sequences removed and `\r\n` as `\n`; for an agent in a terminal, the text
 * its screen showed (rendered by the backend: ScreenText), and a line where
 * each attempt after the first begins (docs/architecture.md §5). Writes are buffered and go out with
 * synchronous appends, so close() has flushed everything when it returns, even
 * if the process exits right after. A write error (disk full) stops the
 * transcript, never the run: `error` says why.
 */
export class Transcript {
  /** The file written to. */
  readonly path: string;
  /** Why the transcript stopped being written, if it did. */
  error: string | undefined;
  private fd: number | undefined;
  private pending: string[] = [];
  private pendingChars = 0;
  /** The unfinished end of the last chunk: an escape sequence or a `\r` that may be half of `\r\n`. */
  private held = '';

  constructor(logDir: string, taskId: string) {
    this.path = join(logDir, `${safeFileName(taskId)}.log`);
    try {
      mkdirSync(logDir, { recursive: true });
      this.fd = openSync(this.path, 'a', 0o600);
    } catch (err) {
      this.error = `cannot write transcript '${this.path}': ${err instanceof Error ? err.message : String(err)}`;
    }
  }

  /**
   * Adds output as it arrives; chunks may split escape sequences and line ends anywhere.
   * `rendered`: the chunk is plain text already (lines rendered from a terminal), written as it is.
   */
  write(data: string, rendered = false): void {
    if (this.fd === undefined || data === '') return;
    if (rendered) {
      this.append(data);
      return;
    }
    let text = this.held + data;
    this.held = '';
    const open = unfinishedTail(text);
    if (open > 0) {
      this.held = text.slice(text.length - open);
      text = text.slice(0, text.length - open);
    }
    this.append(plainText(text));
  }

  private append(plain: string): void {
    if (plain === '') return;
    this.pending.push(plain);
    this.pendingChars += plain.length;
    if (this.pendingChars >= FLUSH_CHARS) this.flush();
  }

  /** Writes out what is buffered. */
  flush(): void {
    if (this.fd === undefined || this.pending.length === 0) return;
    const text = this.pending.join('');
    this.pending = [];
    this.pendingChars = 0;
    try {
      writeSync(this.fd, text);
    } catch (err) {
      this.error = `cannot write transcript '${this.path}': ${err instanceof Error ? err.message : String(err)}`;
      this.close();
    }
  }

  /** Flushes everything (an escape left open at the very end is dropped) and closes the file. */
  close(): void {
    if (this.fd === undefined) return;
    if (this.held !== '') {
      const rest = this.held.startsWith('\r') ? '\r' : '';
      this.held = '';
      if (rest !== '') this.pending.push(rest);
    }
    this.flush();
    if (this.fd === undefined) return;
    try {
      closeSync(this.fd);
    } catch {
      // Closing a descriptor that is already unusable leaves nothing to do.
    }
    this.fd = undefined;
  }
}

/** An escape sequence cut off by the end of a chunk: CSI without its final byte, OSC without BEL, ... */
// eslint-disable-next-line no-control-regex -- matching terminal control sequences is the point
const OPEN_ESCAPE = /^(?:\x1b|\x1b\[[0-?]*[ -/]*|\x9b[0-?]*[ -/]*|\x1b\][^\x07]*|\x1b[PX^_][^]*|\x1b[()*+#%])$/;
/** What strip-ansi leaves: two- and three-character escapes (save cursor, charset selection, ...). */
// eslint-disable-next-line no-control-regex -- as above
const SHORT_ESCAPE = /\x1b[()*+#%][^]?|\x1b[^]?/g;

/** Plain text of a complete piece of output. */
function plainText(text: string): string {
  const stripped = stripAnsi(text);
  return (stripped.includes('\x1b') ? stripped.replace(SHORT_ESCAPE, '') : stripped).replaceAll('\r\n', '\n');
}

/**
 * How many characters at the end of `text` may continue in the next chunk:
 * an escape sequence not yet terminated, or a lone trailing `\r`.
 */
function unfinishedTail(text: string): number {
  const esc = Math.max(text.lastIndexOf('\x1b'), text.lastIndexOf('\x9b'));
  if (esc >= 0 && text.length - esc <= MAX_HELD && OPEN_ESCAPE.test(text.slice(esc))) return text.length - esc;
  return text.endsWith('\r') ? 1 : 0;
}
