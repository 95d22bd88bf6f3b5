import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { UserError } from '../errors.js';
import { errnoCode } from '../os/errno.js';

/**
 * Reads a file the person named (a plan, a config) as UTF-8, refusing at
 * once what is not a regular file: a FIFO would block the read until a
 * writer came, a device or a socket would never end. `what` names the file
 * in messages ("plan", "config"). Every failure is a UserError.
 */
export async function readRegularFile(file: string, what: string): Promise<string> {
  const text = await readOptionalRegularFile(file, what);
  if (text === undefined) throw new UserError(`cannot read ${what} ${file}: no such file`, [{ file, message: `cannot read the ${what}: no such file` }]);
  return text;
}

/**
 * As readRegularFile, but a file that does not exist is undefined (an optional
 * config). `check` may refuse the open file by its stats (who owns it), by
 * throwing; what it throws is passed on as it is.
 */
export async function readOptionalRegularFile(file: string, what: string, check?: (info: Stats) => void): Promise<string | undefined> {
  let handle: FileHandle;
  try {
    // Non-blocking: opening a FIFO for reading would otherwise wait for a writer. The checks are of the open file.
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw cannotRead(file, what, err);
  }
  try {
    const info = await handle.stat();
    const kind = notAFile(info);
    if (kind !== undefined) {
      throw new UserError(`cannot read ${what} ${file}: it is ${kind}`, [{ file, message: `cannot read the ${what}: it is ${kind}, not a file` }]);
    }
    check?.(info);
    return await handle.readFile('utf8');
  } catch (err) {
    throw err instanceof UserError ? err : cannotRead(file, what, err);
  } finally {
    await handle.close();
  }
}

/** What a path is when it is not a regular file ("a FIFO (named pipe)"), or undefined for a file. */
export function notAFile(info: Stats): string | undefined {
  if (info.isFile()) return undefined;
  return info.isDirectory() ? 'a directory'
    : info.isFIFO() ? 'a FIFO (named pipe)'
    : info.isSocket() ? 'a socket'
    : info.isCharacterDevice() || info.isBlockDevice() ? 'a device'
    : 'not a regular file';
}

function cannotRead(file: string, what: string, err: unknown): UserError {
  const code = errnoCode(err);
  const why =
    code === 'EISDIR' ? 'it is a directory'
    : code === 'EACCES' ? 'permission denied'
    : code === 'ENOTDIR' ? 'a part of its path is not a folder'
    : (err as Error).message;
  return new UserError(`cannot read ${what} ${file}: ${why}`, [{ file, message: `cannot read the ${what}: ${why}` }]);
}
