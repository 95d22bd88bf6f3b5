import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { Socket } from 'node:net';
import { CLOSE, DESTROY, EXIT, FAILED, FrameReader, SPAWN, STARTED, STDERR, STDOUT, decodeSpawn, frame } from './spawner-protocol.js';
import type { SpawnRequest } from './spawner-protocol.js';

/**
 * The spawner process (src/os/spawner.ts says why it exists). It starts each
 * requested command as the leader of its own process group, stdin /dev/null,
 * and relays its pipes' bytes, its pid and its exit over fd 3. It imports only
 * the protocol: every spawn forks this process, and a small one forks fast.
 */
const channel = new Socket({ fd: 3, readable: true, writable: true });
const children = new Map<number, ChildProcess>();
let blocked = false;

const send = (kind: number, id: number, payload?: Buffer | string): void => {
  // Backpressure: while the orchestrator has not read what was sent, no child's pipe is read,
  // so a child writing faster than the orchestrator reads blocks in write(2), as it would on a pipe of its own.
  if (!channel.write(frame(kind, id, payload)) && !blocked) {
    blocked = true;
    for (const child of children.values()) pauseOutput(child, true);
  }
};

channel.on('drain', () => {
  blocked = false;
  for (const child of children.values()) pauseOutput(child, false);
});

channel.on('data', (chunk: Buffer) => reader.push(chunk));
const reader = new FrameReader((kind, id, payload) => {
  if (kind === SPAWN) start(id, decodeSpawn(payload));
  else if (kind === DESTROY) {
    const child = children.get(id);
    child?.stdout?.destroy();
    child?.stderr?.destroy();
  }
});

// The orchestrator is gone (exited, killed): nothing it started may outlive it.
const orphaned = (): void => {
  for (const child of children.values()) {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  process.exit(0);
};
channel.on('end', orphaned);
channel.on('error', orphaned);

function start(id: number, req: SpawnRequest): void {
  let child: ChildProcess;
  try {
    child = spawn(req.argv[0]!, req.argv.slice(1), { cwd: req.cwd, env: req.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    send(FAILED, id, JSON.stringify(failure(err)));
    return;
  }
  if (child.pid === undefined) {
    child.once('error', (err) => send(FAILED, id, JSON.stringify(failure(err))));
    child.once('close', () => send(CLOSE, id, JSON.stringify({ code: null, signal: null })));
    return;
  }
  children.set(id, child);
  send(STARTED, id, JSON.stringify({ pid: child.pid }));
  if (blocked) pauseOutput(child, true);
  child.stdout!.on('data', (b: Buffer) => send(STDOUT, id, b));
  child.stderr!.on('data', (b: Buffer) => send(STDERR, id, b));
  child.once('exit', (code, signal) => send(EXIT, id, JSON.stringify({ code, signal })));
  child.once('close', (code, signal) => {
    children.delete(id);
    send(CLOSE, id, JSON.stringify({ code, signal }));
  });
}

function pauseOutput(child: ChildProcess, pause: boolean): void {
  for (const stream of [child.stdout, child.stderr]) {
    if (pause) stream?.pause();
    else stream?.resume();
  }
}

function failure(err: unknown): { code?: string; message: string } {
  const code = (err as NodeJS.ErrnoException).code;
  return { ...(typeof code === 'string' ? { code } : {}), message: err instanceof Error ? err.message : String(err) };
}
