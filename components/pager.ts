import { spawn } from 'node:child_process';
import type { Writable } from 'node:stream';

/** How a write fails when the pager has already gone. */
const QUIT_EARLY = new Set(['EPIPE', 'ERR_STREAM_DESTROYED', 'ERR_STREAM_PREMATURE_CLOSE', 'ERR_STREAM_WRITE_AFTER_END']);

/** What a pager run came to: shown, or why not, in words for the footer. */
export type PagerResult = { ok: true } | { ok: false; why: string };

/** One way to start a pager: a program and its arguments, or the person's `$PAGER` line run by sh. */
interface PagerCommand {
  file: string;
  args: string[];
  /** What the footer calls it when it cannot start. */
  name: string;
}

/**
 * The pagers to try, in order: `$PAGER` as the person wrote it (a shell
 * line, as git runs it: `less -SR`, `bat --paging=always`), or else
 * `less -R` (colours kept, other control sequences shown, not obeyed),
 * then `more` where less is not installed.
 */
export function pagerCommands(env: NodeJS.ProcessEnv): PagerCommand[] {
  const pager = env.PAGER?.trim();
  if (pager) return [{ file: '/bin/sh', args: ['-c', pager], name: `$PAGER (${pager})` }];
  return [
    { file: 'less', args: ['-R'], name: 'less' },
    { file: 'more', args: [], name: 'more' },
  ];
}

/** Starts `command` on the terminal (stdout and stderr inherited), stdin a pipe; undefined when it does not exist. */
function start(command: PagerCommand, env: NodeJS.ProcessEnv) {
  return new Promise<ReturnType<typeof spawn> | undefined>((resolve, reject) => {
    const child = spawn(command.file, command.args, { stdio: ['pipe', 'inherit', 'inherit'], env });
    child.once('spawn', () => resolve(child));
    child.once('error', (err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? resolve(undefined) : reject(err)));
  });
}

/**
 * Shows what `write` writes in a pager on the person's terminal and resolves
 * once they quit it. The caller has let go of the terminal first (no raw
 * mode, nothing reading stdin, mouse reports off). A pager quit before the
 * end closes its stdin: the write's broken pipe is that, not an error.
 */
export async function runPager(write: (into: Writable) => Promise<void>, env: NodeJS.ProcessEnv = process.env): Promise<PagerResult> {
  const commands = pagerCommands(env);
  for (const command of commands) {
    let child: Awaited<ReturnType<typeof start>>;
    try {
      child = await start(command, env);
    } catch (err) {
      return { ok: false, why: `${command.name} could not start: ${err instanceof Error ? err.message : String(err)}` };
    }
    if (!child) continue;
    const stdin = child.stdin!;
    stdin.on('error', () => undefined);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    let failed: string | undefined;
    try {
      await write(stdin);
    } catch (err) {
      // A pager quit before the end (a broken pipe) is the person done reading, not a failure.
      if (!QUIT_EARLY.has((err as NodeJS.ErrnoException).code ?? '')) failed = err instanceof Error ? err.message : String(err);
    }
    stdin.end();
    const code = await exited;
    // sh's "command not found".
    if (code === 127) return { ok: false, why: `${command.name} was not found` };
    return failed === undefined ? { ok: true } : { ok: false, why: failed };
  }
  return { ok: false, why: `no pager found (tried ${commands.map((c) => c.name).join(', ')}): set $PAGER` };
}
