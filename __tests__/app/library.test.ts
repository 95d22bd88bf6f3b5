import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../helpers/cli.js';

/** The README's "Use it as a library" example, as printed there. */
function readmeExample(): string {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Use it as a library'));
  const block = /```js\n([^]*?)```/.exec(section);
  if (!block) throw new Error('README.md: no js block under "Use it as a library"');
  return block[1]!;
}

let dir: string;

beforeAll(() => {
  if (!existsSync(path.join(ROOT, 'dist/src/index.js'))) throw new Error('build first: npm run build (npm test does)');
  // A project that depends on orchestrator: the package is found by its name, through
  // node_modules, and only what package.json "exports" offers can be imported.
  dir = mkdtempSync(path.join(os.tmpdir(), 'orch-lib-'));
  mkdirSync(path.join(dir, 'node_modules'));
  symlinkSync(ROOT, path.join(dir, 'node_modules/orchestrator'), 'dir');
  writeFileSync(path.join(dir, 'package.json'), '{ "type": "module" }\n');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function node(file: string) {
  return spawnSync(process.execPath, [file], { cwd: dir, encoding: 'utf8', timeout: 30_000, env: { PATH: process.env.PATH ?? '', HOME: dir, XDG_CONFIG_HOME: path.join(dir, '.config') } });
}

describe('the engine as a library', () => {
  it("runs the README's example on a tiny shell plan, imported by the package's name", () => {
    writeFileSync(path.join(dir, 'plan.yaml'), 'tasks:\n  - { id: hello, agent: shell, prompt: "echo hi > hello.txt" }\n  - { id: after, agent: shell, prompt: "test -s hello.txt", dependsOn: [hello] }\n');
    writeFileSync(path.join(dir, 'example.mjs'), readmeExample());
    const r = node('example.mjs');
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('hello: completed\nafter: completed\n');
    expect(r.status).toBe(0);
    expect(readFileSync(path.join(dir, 'hello.txt'), 'utf8')).toBe('hi\n');
  });

  it('exports the engine, its loaders and types, and no UI: React, Ink and the engine internals stay out of reach', () => {
    // Every module the import loads, as Node resolves it (hooks see ESM and CommonJS entered through import).
    writeFileSync(path.join(dir, 'hooks.mjs'), "import { appendFileSync } from 'node:fs';\nexport async function resolve(s, c, next) { const r = await next(s, c); appendFileSync(process.env.LOADED, r.url + '\\n'); return r; }\n");
    writeFileSync(path.join(dir, 'register.mjs'), "import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n");
    writeFileSync(
      path.join(dir, 'probe.mjs'),
      `const lib = await import('orchestrator');
const pkg = (await import('orchestrator/package.json', { with: { type: 'json' } })).default;
let deep = 'importable';
try { await import('orchestrator/dist/src/scheduler/engine.js'); } catch (err) { deep = err.code; }
console.log(JSON.stringify({ names: Object.keys(lib).sort(), name: pkg.name, deep }));
`,
    );
    const loaded = path.join(dir, 'loaded.txt');
    writeFileSync(loaded, '');
    const r = spawnSync(process.execPath, ['--import', './register.mjs', 'probe.mjs'], { cwd: dir, encoding: 'utf8', timeout: 30_000, env: { PATH: process.env.PATH ?? '', HOME: dir, LOADED: loaded } });
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as { names: string[]; name: string; deep: string };
    expect(out.names).toEqual(expect.arrayContaining(['Engine', 'createBackends', 'loadConfig', 'loadPlan', 'runEnv']));
    expect(out.name).toBe('orchestrator');
    expect(out.deep).toBe('ERR_PACKAGE_PATH_NOT_EXPORTED');
    const urls = readFileSync(loaded, 'utf8').split('\n');
    expect(urls).toContain(`file://${ROOT}/dist/src/scheduler/engine.js`);
    expect(urls.filter((u) => /node_modules\/(react|ink|@xterm)\/|\/dist\/(components|app)\//.test(u))).toEqual([]);
    // The types a TypeScript user gets with it.
    expect(existsSync(path.join(ROOT, 'dist/src/index.d.ts'))).toBe(true);
  });
});
