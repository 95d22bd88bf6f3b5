import { jsonText, visible } from './visible.js';
import { createReadStream, existsSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { transcriptFile } from '../persist/queries.js';

/**
 * `orchestrator logs [RUN] TASK`: the task's transcript (RUN: an id, a unique prefix, or none for the latest run), every attempt,
 * streamed from its file to `out` — a transcript is bounded only by the disk
 * (hundreds of MB for an agent that ran for hours), so it is never read into
 * memory whole. `--json` writes one object whose `transcript` string is
 * escaped chunk by chunk as it streams. `terminal`: whether `out` ends on a
 * terminal (a pager's pipe does), when it is not a TTY itself.
 */
export async function writeLogs(workspace: string, given: string | undefined, taskId: string, json: boolean, out: Writable, terminal?: boolean): Promise<void> {
  const { runId, file } = transcriptFile(workspace, given, taskId);
  const exists = existsSync(file);
  if (!json) {
    // To a terminal, the agent's control characters are made visible; into a pipe or a file, the bytes are as written.
    const tty = terminal ?? (out as { isTTY?: boolean }).isTTY === true;
    if (exists && tty) await pipeline(createReadStream(file, 'utf8'), async function* (chunks: AsyncIterable<string>) {
      for await (const chunk of chunks) yield visible(chunk);
    }, out, { end: false });
    else if (exists) await pipeline(createReadStream(file), out, { end: false });
    return;
  }
  const head = jsonText({ run: runId, task: taskId, file, transcript: '' }).slice(0, -2);
  const chunks = async function* () {
    yield head;
    // A UTF-8 decoding stream never splits a character, so each chunk escapes on its own.
    if (exists) for await (const chunk of createReadStream(file, 'utf8')) yield jsonText(chunk as string).slice(1, -1);
    yield '"}\n';
  };
  await pipeline(chunks, out, { end: false });
}
