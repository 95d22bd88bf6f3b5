import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { once } from 'node:events';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pagerCommands, runPager } from '../../components/pager.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'orch-pager-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A fake pager: records its arguments and everything it was given on stdin into `<name>.got`. */
function fakePager(name: string, body = 'cat > "$out"'): string {
  const file = path.join(dir, name);
  // Its own PATH: the PATH the pager is looked up in may hold nothing else.
  writeFileSync(file, `#!/bin/sh\nPATH=/usr/bin:/bin\nout="${file}.got"\nprintf '%s\\n' "$*" > "$out.args"\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

const text = async (into: NodeJS.WritableStream) => {
  into.write('line one\n\u001b[31mred\u001b[0m\n');
};

describe('the pager', () => {
  it('runs $PAGER as a shell line, giving it the text on stdin', async () => {
    const pager = fakePager('mypager');
    const result = await runPager(text, { ...process.env, PAGER: `${pager} -X --flag` });
    expect(result).toEqual({ ok: true });
    expect(readFileSync(`${pager}.got`, 'utf8')).toBe('line one\n\u001b[31mred\u001b[0m\n');
    expect(readFileSync(`${pager}.got.args`, 'utf8')).toBe('-X --flag\n');
  });

  it('without $PAGER is less -R, or more where there is no less', async () => {
    expect(pagerCommands({}).map((c) => [c.file, ...c.args].join(' '))).toEqual(['less -R', 'more']);
    // A PATH with only a `more`: less is not found, more is used.
    const bin = mkdtempSync(path.join(dir, 'bin-'));
    const more = fakePager('more');
    writeFileSync(path.join(bin, 'more'), `#!/bin/sh\nexec ${more} "$@"\n`);
    chmodSync(path.join(bin, 'more'), 0o755);
    expect(await runPager(text, { PATH: bin })).toEqual({ ok: true });
    expect(readFileSync(`${more}.got`, 'utf8')).toContain('line one');
    const empty = mkdtempSync(path.join(dir, 'none-'));
    expect(await runPager(text, { PATH: empty })).toEqual({ ok: false, why: 'no pager found (tried less, more): set $PAGER' });
  });

  it('says when $PAGER is not a command, and takes a pager quit before the end as done', async () => {
    expect(await runPager(text, { ...process.env, PAGER: path.join(dir, 'no-such-pager') })).toEqual({ ok: false, why: `$PAGER (${path.join(dir, 'no-such-pager')}) was not found` });
    // Reads one line and quits: the rest of a long text meets a closed pipe.
    const quitter = fakePager('quitter', 'head -n 1 > "$out"');
    const long = async (into: NodeJS.WritableStream) => {
      for (let i = 0; i < 20_000; i++) if (!into.write(`line ${i} ${'x'.repeat(60)}\n`)) await once(into, 'drain');
    };
    expect(await runPager(long, { ...process.env, PAGER: quitter })).toEqual({ ok: true });
    expect(readFileSync(`${quitter}.got`, 'utf8')).toBe(`line 0 ${'x'.repeat(60)}\n`);
  });

  it('reports a failure to produce the text', async () => {
    const pager = fakePager('reporter');
    const broken = async () => {
      throw new Error('the transcript could not be read');
    };
    expect(await runPager(broken, { ...process.env, PAGER: pager })).toEqual({ ok: false, why: 'the transcript could not be read' });
  });
});
