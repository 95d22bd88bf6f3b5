/** Lines kept by default: enough for a result or a failure reason (20 each). */
const DEFAULT_TAIL_LINES = 20;
/** Longest line kept; a longer line keeps its end, the part printed last. */
const DEFAULT_MAX_LINE_CHARS = 4096;

/**
 * The last few non-empty lines of a stream of text, in bounded memory.
 *
 * A backend needs the end of an agent's output for its result or failure
 * reason, but the output itself can be gigabytes: this keeps a small ring of
 * recent lines (each capped) plus the unfinished last line, never the whole.
 */
export class OutputTail {
  private readonly ring: string[] = [];
  private partial = '';

  constructor(
    private readonly maxLines = DEFAULT_TAIL_LINES,
    private readonly maxLineChars = DEFAULT_MAX_LINE_CHARS,
  ) {}

  /** Adds decoded text as it arrives; chunks may split lines anywhere. */
  push(text: string): void {
    if (text === '') return;
    const parts = text.split('\n');
    if (parts.length === 1) {
      this.partial = this.capLine(this.partial + text);
      return;
    }
    this.endLine(this.partial + parts[0]);
    for (let i = 1; i < parts.length - 1; i++) this.endLine(parts[i]!);
    this.partial = this.capLine(parts[parts.length - 1]!);
  }

  /** The last `maxLines` non-empty lines, the unfinished one included, oldest first. */
  lines(maxLines = this.maxLines): string[] {
    const lines = this.partial.trim() === '' ? [...this.ring] : [...this.ring, stripCr(this.partial)];
    return lines.slice(-maxLines);
  }

  /**
   * The last `maxLines` non-empty lines (the unfinished one included), at most
   * `maxChars` characters counted from the end, trimmed.
   */
  text(maxLines = this.maxLines, maxChars = this.maxLineChars): string {
    const lines = this.partial.trim() === '' ? [...this.ring] : [...this.ring, stripCr(this.partial)];
    const picked: string[] = [];
    let used = 0;
    for (let i = lines.length - 1; i >= 0 && picked.length < maxLines; i--) {
      const line = lines[i]!;
      const cost = line.length + (picked.length > 0 ? 1 : 0);
      if (used + cost > maxChars) {
        const room = maxChars - used - (picked.length > 0 ? 1 : 0);
        if (room > 0) picked.push(line.slice(line.length - room));
        break;
      }
      picked.push(line);
      used += cost;
    }
    return picked.reverse().join('\n').trim();
  }

  private endLine(raw: string): void {
    const line = stripCr(this.capLine(raw));
    if (line.trim() === '') return;
    this.ring.push(line);
    if (this.ring.length > this.maxLines) this.ring.shift();
  }

  private capLine(line: string): string {
    return line.length > this.maxLineChars ? line.slice(line.length - this.maxLineChars) : line;
  }
}

function stripCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}
