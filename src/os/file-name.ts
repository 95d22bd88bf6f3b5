/**
 * A task id as a file name: ids are letters, digits, `-`, `_` and `.`, but a
 * transcript must never land outside its folder whatever the id holds.
 */
export function safeFileName(id: string): string {
  const name = id.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 200);
  return name === '' || /^\.+$/.test(name) ? `_${name}` : name;
}
