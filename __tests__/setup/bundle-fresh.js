// globalSetup of the `binary` jest project: those tests run bin/orchestrator.js, which loads
// dist/bundle/cli.js. A missing or stale bundle would test old code (or skip): fail instead.
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BUNDLE = path.join(ROOT, 'dist/bundle/cli.js');
/** What the build reads: a change to any file under these makes the bundle stale. */
const SOURCES = ['src', 'components', 'app'];

/** The newest file under `dir` (recursively), as [mtime ms, path]. */
function newest(dir) {
  let best = [0, ''];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    const found = entry.isDirectory() ? newest(file) : [statSync(file).mtimeMs, file];
    if (found[0] > best[0]) best = found;
  }
  return best;
}

export default function bundleFresh() {
  const fix = 'run `npm run build` (npm test does it before jest)';
  if (!existsSync(BUNDLE)) throw new Error(`the end-to-end tests run the built binary, and ${path.relative(ROOT, BUNDLE)} is missing: ${fix}`);
  const built = statSync(BUNDLE).mtimeMs;
  for (const dir of SOURCES) {
    if (!existsSync(path.join(ROOT, dir))) continue;
    const [mtime, file] = newest(path.join(ROOT, dir));
    if (mtime > built) {
      throw new Error(`the end-to-end tests run the built binary, and ${path.relative(ROOT, file)} changed after ${path.relative(ROOT, BUNDLE)} was built: ${fix}`);
    }
  }
}
