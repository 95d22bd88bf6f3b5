import { describe, expect, it } from '@jest/globals';
import { chooseDisplay, importOutsideCi, inCi } from '../../app/display.js';
import { UserError } from '../../src/errors.js';

describe('inCi', () => {
  it.each([
    [{}, false],
    [{ CI: 'true' }, true],
    [{ CI: '1' }, true],
    [{ CI: '' }, true],
    [{ CI: '0' }, false],
    [{ CI: 'false' }, false],
    [{ CONTINUOUS_INTEGRATION: 'yes' }, true],
    [{ CI: 'false', CONTINUOUS_INTEGRATION: '1' }, true],
  ])('%j → %s', (env, expected) => {
    expect(inCi(env)).toBe(expected);
  });
});

describe('chooseDisplay', () => {
  const base = { tty: true, tui: false, headless: false, json: false, env: {} };
  it.each([
    ['a terminal', base, 'dashboard'],
    ['no terminal', { ...base, tty: false }, 'headless'],
    ['CI in a terminal', { ...base, env: { CI: 'true' } }, 'headless'],
    ['--tui in CI', { ...base, tui: true, env: { CI: 'true' } }, 'dashboard'],
    ['--headless', { ...base, headless: true }, 'headless'],
    ['--json', { ...base, json: true }, 'headless'],
    ['CI=false', { ...base, env: { CI: 'false' } }, 'dashboard'],
  ] as const)('%s → %s', (_what, options, expected) => {
    expect(chooseDisplay(options)).toBe(expected);
  });

  it('refuses --tui without a terminal, saying what to do', () => {
    expect(() => chooseDisplay({ ...base, tty: false, tui: true })).toThrow(UserError);
    expect(() => chooseDisplay({ ...base, tty: false, tui: true })).toThrow(/--tui needs a terminal.*--headless/);
  });
});

describe('importOutsideCi', () => {
  it('hides the CI variables while the import runs and puts them back after', async () => {
    const env: NodeJS.ProcessEnv = { CI: 'true', CONTINUOUS_INTEGRATION: '1', HOME: '/h' };
    const seen = await importOutsideCi(async () => ({ ...env }), env);
    expect(seen).toEqual({ HOME: '/h' });
    expect(env).toEqual({ CI: 'true', CONTINUOUS_INTEGRATION: '1', HOME: '/h' });
  });

  it('puts them back when the import fails', async () => {
    const env: NodeJS.ProcessEnv = { CI: '1' };
    await expect(importOutsideCi(() => Promise.reject(new Error('no module')), env)).rejects.toThrow('no module');
    expect(env).toEqual({ CI: '1' });
  });

  it('adds nothing that was not there', async () => {
    const env: NodeJS.ProcessEnv = { HOME: '/h' };
    await importOutsideCi(async () => undefined, env);
    expect(env).toEqual({ HOME: '/h' });
  });
});
