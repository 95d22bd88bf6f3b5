// Compiles the C spawner (src/os/spawner.c) next to both copies of spawner.js: dist/bundle/ and dist/src/os/.
// Without a C compiler the build goes on: the run then uses the Node spawner (spawner-child.js), which is slower
// per start but behaves the same (src/os/spawner.ts).
import { spawnSync } from 'node:child_process';
import { copyFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SOURCE = path.join(ROOT, 'src/os/spawner.c');
const OUTS = [path.join(ROOT, 'dist/bundle/orchestrator-spawner'), path.join(ROOT, 'dist/src/os/orchestrator-spawner')];
const cc = process.env.CC || 'cc';

for (const out of OUTS) rmSync(out, { force: true });
if (process.platform !== 'linux') {
  process.stderr.write('build-spawner: not Linux (signalfd, pipe2): the Node spawner is used\n');
  process.exit(0);
}
const result = spawnSync(cc, ['-O2', '-Wall', '-Wextra', '-Werror', '-std=gnu11', '-o', OUTS[0], SOURCE], { stdio: ['ignore', 'inherit', 'inherit'] });
if (result.error || result.status !== 0) {
  process.stderr.write(`build-spawner: ${cc} could not compile ${path.relative(ROOT, SOURCE)} (${result.error?.message ?? `exit ${result.status}`}): the Node spawner is used\n`);
  rmSync(OUTS[0], { force: true });
  process.exit(0);
}
copyFileSync(OUTS[0], OUTS[1]);
