// Bundles tsc's output (dist/app/cli.js, the composition root) into dist/bundle/, what bin/orchestrator.js runs.
// Node 20 has no module compile cache: loading Ink, React, yargs and zod as hundreds of
// small files cost most of the time to the first frame (BENCHMARKS.md, dashboard).
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT = path.join(ROOT, 'dist/bundle');
const CLI = path.join(ROOT, 'dist/app/cli.js');

/**
 * Text patches to dependencies, each for a reason the bundle creates or can
 * avoid. A patch that no longer matches fails the build: the dependency changed.
 */
const patches = [
  {
    // yargs finds its locales and the package.json for --version from its own import.meta.url;
    // bundled, that would be the chunk's. Point it back at the installed file, relative to
    // dist/bundle/ so the package can move.
    file: /[\\/]yargs[\\/]lib[\\/]platform-shims[\\/]esm\.mjs$/,
    from: 'import.meta.url',
    to: (file) => `new URL(${JSON.stringify(path.relative(OUT, file).split(path.sep).join('/'))}, import.meta.url).href`,
  },
  {
    // Yoga (Ink's layout) fetch()es its inlined wasm data: URL when fetch exists, which loads
    // Node's undici (~20 ms of the first frame); without it, it decodes the same base64 itself.
    file: /[\\/]yoga-layout[\\/]dist[\\/]binaries[\\/]yoga-wasm-base64-esm\.js$/,
    from: '"function"!=typeof fetch',
    to: () => 'true',
  },
];

const patched = new Set();
const patchPlugin = {
  name: 'patch-dependencies',
  setup(build) {
    for (const patch of patches) {
      const { file, from, to } = patch;
      build.onLoad({ filter: file }, async (args) => {
        const source = await readFile(args.path, 'utf8');
        if (!source.includes(from)) fail(`${args.path} no longer contains ${from}: update the patch in scripts/bundle.js`);
        patched.add(patch);
        return { contents: source.replaceAll(from, to(args.path)), loader: 'js' };
      });
    }
  },
};

function fail(message) {
  process.stderr.write(`bundle: ${message}\n`);
  process.exit(1);
}

if (!existsSync(CLI)) fail(`${path.relative(ROOT, CLI)} is missing: run tsc -p tsconfig.build.json first`);

// Chunk names carry hashes: clear the old ones out.
rmSync(OUT, { recursive: true, force: true });

const result = await esbuild.build({
  absWorkingDir: ROOT,
  entryPoints: {
    cli: CLI,
    // Started by the run as new URL('./spawner-child.js', import.meta.url): a file of its own, next to it.
    'spawner-child': path.join(ROOT, 'dist/src/os/spawner-child.js'),
  },
  outdir: OUT,
  bundle: true,
  // The dashboard (React, Ink) and xterm stay chunks of their own, loaded by import() only when drawn.
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  metafile: true,
  logLevel: 'warning',
  // Native addons load their .node files relative to themselves. react-devtools-core is
  // imported by Ink only when DEV=true and is not installed: it fails then, as unbundled.
  // @xterm/headless is bundled: its chunk imports in ~17 ms, against ~40 ms loading it from node_modules.
  external: ['node-pty', 'better-sqlite3', 'react-devtools-core'],
  define: { 'process.env.NODE_ENV': '"production"' },
  // CommonJS dependencies call require(); ESM output has none of its own.
  banner: { js: "import { createRequire as __bundleCreateRequire } from 'node:module'; const require = __bundleCreateRequire(import.meta.url);" },
  plugins: [patchPlugin],
});

const unused = patches.filter((p) => !patched.has(p));
if (unused.length > 0) fail(`no file matched the patch for ${unused.map((p) => p.file).join(', ')}: update scripts/bundle.js`);

// Which input went into which chunk (readable at https://esbuild.github.io/analyze/).
writeFileSync(path.join(OUT, 'metafile.json'), JSON.stringify(result.metafile));

const outputs = Object.entries(result.metafile.outputs);

// A headless run must not load the dashboard: nothing cli.js imports statically may contain React or Ink.
const byFile = new Map(outputs);
const staticClosure = (file, seen = new Set()) => {
  if (seen.has(file)) return seen;
  seen.add(file);
  for (const imp of byFile.get(file)?.imports ?? []) if (imp.kind === 'import-statement' && !imp.external) staticClosure(imp.path, seen);
  return seen;
};
const cliOut = outputs.find(([, o]) => o.entryPoint?.endsWith('dist/app/cli.js'))?.[0];
if (!cliOut) fail('no output chunk for dist/app/cli.js: the start-up check would check nothing');
const eager = [...staticClosure(cliOut)].flatMap((f) => Object.keys(byFile.get(f)?.inputs ?? {}));
const ui = eager.filter((i) => /node_modules[\\/](react|ink|@xterm)[\\/]|dist[\\/]components[\\/]/.test(i));
if (ui.length > 0) fail(`cli.js loads UI code at start-up: ${ui.slice(0, 5).join(', ')}`);
