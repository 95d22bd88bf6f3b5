// The steps an engine runs for a plan of N tasks, as a separate process the
// crash test can kill -9 at any moment and then run again. Uses the build.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { commitTask, MergeQueue, mergedTasks, recoverRun, removeTaskWorkspace, startRun, startTask } from '../../dist/src/git/index.js';

const [repo, runId, count] = process.argv.slice(2);
const ids = Array.from({ length: Number(count) }, (_, i) => `t${i}`);

const started = await startRun(repo, runId);
if (!started.ok) throw new Error(`startRun: ${started.kind}`);
const run = started.run;
// No process of the run is alive any more: locks a killed git left behind can go.
await recoverRun(run);
const merged = await mergedTasks(run);
const queue = new MergeQueue(run);

await Promise.all(
  ids.map(async (id) => {
    if (!merged.has(id)) {
      const s = await startTask(run, id);
      if (s.kind !== 'started' && s.kind !== 'resumed') throw new Error(`${id}: start: ${s.kind}`);
      // The "agent": writes its own file (again, when resumed: the same content).
      writeFileSync(path.join(s.task.dir, `${id}.txt`), `${id}\n`);
      const c = await commitTask(run, id, { prompt: `write ${id}.txt`, agent: 'shell/test', summary: `wrote ${id}.txt` });
      if (c.kind !== 'committed' && c.kind !== 'already-committed') throw new Error(`${id}: commit: ${c.kind}`);
      const m = await queue.enqueue(id);
      if (m.kind !== 'merged' && m.kind !== 'already-merged') throw new Error(`${id}: merge: ${m.kind}`);
    }
    const removed = await removeTaskWorkspace(run, id);
    if (removed.kind !== 'removed') throw new Error(`${id}: remove: ${removed.kind}`);
  }),
);
process.stdout.write('done\n');
