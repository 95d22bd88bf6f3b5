/** Set once stdout is gone (a closed pipe): nothing more is written to it. */
let stdoutGone = false;

/** Writes to stdout unless its reader went away. */
export function write(text: string): void {
  if (!stdoutGone) process.stdout.write(text);
}

/** Stops every later write(): the reader of stdout is gone (EPIPE). */
export function stdoutClosed(): void {
  stdoutGone = true;
}

