const encoder = new TextEncoder();

/**
 * The end of a stream of output, held as UTF-8 in one fixed buffer: what a
 * screen no pane shows keeps instead of parsing. Each write is copied into
 * the ring and its string is left to die young; keeping the strings
 * themselves (or parsing them into xterm, which recycles two fresh objects per
 * scrolled line) holds them for ~0.5 s under a flood, long enough for V8 to
 * promote them, and that old-generation garbage is what grew the dashboard's
 * RSS (BENCHMARKS.md, dashboard-memory).
 */
export class OutputRing {
  private readonly bytes: Buffer;
  /** Where the next write goes. */
  private at = 0;
  /** Where the bytes before `at` wrapped: [at, end) is the older part once the ring has wrapped. */
  private end = 0;
  private wrapped = false;
  /** UTF-16 characters written in all (what `text` would be without the ring's limit). */
  private written = 0;

  constructor(capacity: number) {
    this.bytes = Buffer.allocUnsafe(Math.max(16, Math.floor(capacity)));
  }

  /** Characters written since the ring was made. */
  get chars(): number {
    return this.written;
  }

  /** Whether older output was overwritten: `text()` is then only the end of what was written. */
  get overflowed(): boolean {
    return this.wrapped;
  }

  write(data: string): void {
    this.written += data.length;
    let rest = data;
    // A string far longer than the ring: only its end can stay.
    if (rest.length > this.bytes.length) {
      rest = rest.slice(rest.length - this.bytes.length);
      this.wrapped = true;
    }
    while (rest !== '') {
      const { read, written } = encoder.encodeInto(rest, this.bytes.subarray(this.at));
      this.at += written;
      if (read === rest.length) break;
      // The next character does not fit before the end: wrap (the few bytes left are not text).
      this.end = this.at;
      this.at = 0;
      this.wrapped = true;
      rest = rest.slice(read);
    }
    if (this.at > this.end) this.end = this.at;
  }

  /**
   * What the ring holds, oldest first. After an overflow its first line may
   * start in the middle of a character; readers cut it at a line start.
   */
  text(): string {
    if (!this.wrapped) return this.bytes.toString('utf8', 0, this.at);
    return this.bytes.toString('utf8', this.at, this.end) + this.bytes.toString('utf8', 0, this.at);
  }
}
