// Compiles the project's C parts, each next to both copies of the module that loads it (dist/bundle/ and dist/src/…):
// - the spawner (src/os/spawner.c), beside spawner.js. Without it the run uses the Node spawner (spawner-child.js),
//   which is slower per start but behaves the same (src/os/spawner.ts).
// - the journal's mmap addon (src/persist/journal-map.c), beside journal-file.js. Without it the journal is written
//   with one write(2) a line, as durable but slower (src/persist/journal-file.ts).
// Without a C compiler (or Node's headers) the build goes on, saying so on stderr.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cc = process.env.CC || 'cc';
const WARNINGS = ['-O2', '-Wall', '-Wextra', '-Werror', '-std=gnu11'];

/** Compiles `source` with `flags` into the first of `outs` and copies it to the others; on failure says `fallback`. */
function compile(source, outs, flags, fallback) {
  for (const out of outs) rmSync(out, { force: true });
  const result = spawnSync(cc, [...WARNINGS, ...flags, '-o', outs[0], path.join(ROOT, source)], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.error || result.status !== 0) {
    process.stderr.write(`build-spawner: ${cc} could not compile ${source} (${result.error?.message ?? `exit ${result.status}`}): ${fallback}\n`);
    rmSync(outs[0], { force: true });
    return;
  }
  for (const out of outs.slice(1)) copyFileSync(outs[0], out);
}

/**
 * Where node_api.h is: beside this Node (its prefix's include/node, where the
 * official tarballs and distribution packages put it), else npm's nodedir.
 */
function nodeInclude() {
  const beside = path.resolve(path.dirname(process.execPath), '../include/node');
  if (existsSync(path.join(beside, 'node_api.h'))) return beside;
  const npm = spawnSync('npm', ['config', 'get', 'nodedir'], { encoding: 'utf8' });
  const nodedir = npm.status === 0 ? npm.stdout.trim() : '';
  const configured = nodedir && nodedir !== 'undefined' ? path.join(nodedir, 'include/node') : '';
  return configured && existsSync(path.join(configured, 'node_api.h')) ? configured : undefined;
}

const spawner = [path.join(ROOT, 'dist/bundle/orchestrator-spawner'), path.join(ROOT, 'dist/src/os/orchestrator-spawner')];
const journalMap = [path.join(ROOT, 'dist/bundle/journal-map.node'), path.join(ROOT, 'dist/src/persist/journal-map.node')];
if (process.platform !== 'linux') {
  for (const out of [...spawner, ...journalMap]) rmSync(out, { force: true });
  process.stderr.write('build-spawner: not Linux (signalfd, pipe2): the Node spawner is used, and write(2) for the journal\n');
  process.exit(0);
}
compile('src/os/spawner.c', spawner, [], 'the Node spawner is used');
const include = nodeInclude();
if (include === undefined) {
  for (const out of journalMap) rmSync(out, { force: true });
  process.stderr.write('build-spawner: no node_api.h beside Node nor in npm\'s nodedir: the journal is written with write(2)\n');
} else {
  // -shared without linking libnode: the napi_* symbols resolve from the node binary that loads it.
  compile('src/persist/journal-map.c', journalMap, ['-shared', '-fPIC', `-I${include}`], 'the journal is written with write(2)');
}
