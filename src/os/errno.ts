/** The `code` of a Node system error (ENOENT, ESRCH) or of a SQLite error; undefined for anything else. */
export function errnoCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : undefined;
}
