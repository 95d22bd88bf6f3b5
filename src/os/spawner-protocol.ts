/**
 * The wire format between the orchestrator and its spawner process
 * (src/os/spawner.ts, spawner-child.ts): frames of
 * `[u32 LE length of what follows][u8 kind][u32 LE id][payload]`.
 * Requests and replies carry JSON; output carries the child's bytes as they
 * were read, so relaying costs one copy and no encoding. This module imports
 * nothing: the spawner loads it and stays small.
 */

/** Orchestrator → spawner: start a command as request `id` (payload: spawnRequest). */
export const SPAWN = 1;
/** Orchestrator → spawner: stop reading `id`'s pipes (a process that left the group holds them open). */
export const DESTROY = 2;
/** Spawner → orchestrator: `{pid}`, the leader of a new process group. */
export const STARTED = 10;
/** Spawner → orchestrator: `{code, message}`, the spawn failed (ENOENT, EACCES…). */
export const FAILED = 11;
export const STDOUT = 12;
export const STDERR = 13;
/** Spawner → orchestrator: `{code, signal}`, the leader exited (its pipes may still be open). */
export const EXIT = 14;
/** Spawner → orchestrator: `{code, signal}`, the leader exited and both pipes were read to their end. */
export const CLOSE = 15;

const HEADER = 9;

/** What to start, and where. */
export interface SpawnRequest {
  argv: readonly string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
}

/**
 * A SPAWN payload: NUL-terminated strings, `cwd`, the argument count, the
 * arguments, then `NAME=value` entries to the end, as execve takes them, so
 * a helper in C reads it without a JSON parser. Nothing here may hold a NUL
 * (startProblem refuses that before a session starts).
 */
export function encodeSpawn(req: SpawnRequest): string {
  const parts = [req.cwd, String(req.argv.length), ...req.argv];
  for (const [key, value] of Object.entries(req.env)) if (value !== undefined) parts.push(`${key}=${value}`);
  return `${parts.join('\0')}\0`;
}

export function decodeSpawn(payload: Buffer): SpawnRequest {
  const parts = payload.toString('utf8').split('\0');
  parts.pop();
  const argc = Number(parts[1]);
  const env: NodeJS.ProcessEnv = {};
  for (const entry of parts.slice(2 + argc)) {
    const eq = entry.indexOf('=');
    env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return { cwd: parts[0]!, argv: parts.slice(2, 2 + argc), env };
}

/** One frame as bytes ready to write. */
export function frame(kind: number, id: number, payload?: Buffer | string): Buffer {
  const body = payload === undefined ? undefined : typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  const out = Buffer.allocUnsafe(HEADER + (body?.length ?? 0));
  out.writeUInt32LE(5 + (body?.length ?? 0), 0);
  out.writeUInt8(kind, 4);
  out.writeUInt32LE(id, 5);
  body?.copy(out, HEADER);
  return out;
}

/**
 * Cuts a byte stream into frames. Chunks are joined only while a frame
 * spans them, so a stream of whole frames is never copied.
 */
export class FrameReader {
  private pending: Buffer | undefined;

  constructor(private readonly onFrame: (kind: number, id: number, payload: Buffer) => void) {}

  push(chunk: Buffer): void {
    const buf = this.pending === undefined ? chunk : Buffer.concat([this.pending, chunk]);
    this.pending = undefined;
    let at = 0;
    while (buf.length - at >= 4) {
      const size = buf.readUInt32LE(at);
      if (buf.length - at - 4 < size) break;
      this.onFrame(buf.readUInt8(at + 4), buf.readUInt32LE(at + 5), buf.subarray(at + HEADER, at + 4 + size));
      at += 4 + size;
    }
    if (at < buf.length) this.pending = buf.subarray(at);
  }
}
