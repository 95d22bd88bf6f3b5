#!/usr/bin/env node
/**
 * Installs the real agent CLIs the `npm run test:agents` lane runs, at the
 * versions pinned in scripts/agent-clis.json, into a cache outside
 * node_modules (they are ~800 MB of native binaries no user of the package
 * needs): $ORCHESTRATOR_AGENTS_CACHE, else $XDG_CACHE_HOME or ~/.cache, under
 * orchestrator-agents/<versions>. Installs once; later calls find the
 * finished install and only check that the binaries start.
 *
 *   node scripts/install-agents.js             install if needed, print the versions
 *   node scripts/install-agents.js --bin-dir   print only the directory holding `claude` and `codex`
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const pins = JSON.parse(readFileSync(path.join(here, 'agent-clis.json'), 'utf8'));
const specs = Object.entries(pins).map(([name, version]) => `${name}@${version}`);
const cacheRoot =
  process.env.ORCHESTRATOR_AGENTS_CACHE ??
  path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'orchestrator-agents');
const dir = path.join(cacheRoot, specs.map((s) => s.replace(/[@/]/g, '_')).join('+'));
const binDir = path.join(dir, 'node_modules', '.bin');
const done = path.join(dir, 'installed.json');
const quiet = process.argv.includes('--bin-dir');

function log(line) {
  if (!quiet) process.stderr.write(`${line}\n`);
}

if (!existsSync(done)) {
  // Installed into a scratch folder renamed into place at the end, so an interrupted install is never taken for a finished one.
  const scratch = `${dir}.partial-${process.pid}`;
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { recursive: true });
  writeFileSync(path.join(scratch, 'package.json'), '{"private":true}\n');
  log(`installing ${specs.join(', ')} into ${dir} (once; about 800 MB) ...`);
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--no-save', '--loglevel=error', ...specs], {
    cwd: scratch,
    stdio: ['ignore', quiet ? 'ignore' : 'inherit', 'inherit'],
  });
  writeFileSync(path.join(scratch, 'installed.json'), `${JSON.stringify(pins, null, 2)}\n`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(path.dirname(dir), { recursive: true });
  renameSync(scratch, dir);
}

mkdirSync(path.join(dir, 'codex-home'), { recursive: true });
for (const bin of ['claude', 'codex']) {
  const version = execFileSync(path.join(binDir, bin), ['--version'], {
    encoding: 'utf8',
    env: { ...process.env, HOME: dir, CODEX_HOME: path.join(dir, 'codex-home') },
    timeout: 60_000,
  }).trim();
  log(`${bin}: ${version}`);
}
if (quiet) process.stdout.write(`${binDir}\n`);
