/**
 * Numeric flags, checked as they are parsed. yargs' `type: 'number'` turns
 * `--concurrency abc` into NaN, so the person read "got NaN" instead of what
 * they typed; these options leave the type out (yargs still parses "4" to 4)
 * and coerce, so the message quotes the flag's own text. A thrown Error is
 * a usage problem: cli.ts's fail handler prints it with exit 2.
 */
interface NumberFlag {
  describe: string;
  coerce(value: unknown): number;
}

function parsed(flag: string, value: unknown, expected: string): number {
  // A flag given twice arrives as a list; one with no value as `true`.
  const text = typeof value === 'string' ? value.trim() : value;
  const n = typeof text === 'number' ? text : typeof text === 'string' && text !== '' ? Number(text) : Number.NaN;
  if (Number.isNaN(n)) throw new Error(`--${flag}: expected ${expected}, got ${describeArg(value)}`);
  return n;
}

function describeArg(value: unknown): string {
  if (value === true || value === '') return 'no value';
  if (Array.isArray(value)) return `it ${value.length} times (give it once)`;
  return `'${String(value)}'`;
}

/** A whole number of at least `min`, e.g. `--concurrency`. */
export function wholeNumberFlag(flag: string, min: number, describe: string): NumberFlag {
  const expected = `a whole number of at least ${min}`;
  return {
    describe,
    coerce(value) {
      const n = parsed(flag, value, expected);
      if (!Number.isSafeInteger(n) || n < min) throw new Error(`--${flag}: expected ${expected}, got '${String(value)}'`);
      return n;
    },
  };
}

/** A finite number above 0, e.g. `--budget` in US dollars. */
export function positiveNumberFlag(flag: string, describe: string): NumberFlag {
  const expected = 'a number above 0';
  return {
    describe,
    coerce(value) {
      const n = parsed(flag, value, expected);
      if (!Number.isFinite(n) || n <= 0) throw new Error(`--${flag}: expected ${expected}, got '${String(value)}'`);
      return n;
    },
  };
}
