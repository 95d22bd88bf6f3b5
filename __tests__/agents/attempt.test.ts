import { describe, expect, it } from '@jest/globals';
import { RETRY_NOTE_CHARS, cleanLine, failureReason, retryNote, tellingLine } from '../../src/agents/attempt.js';

describe('tellingLine: the line a failed attempt is summed up by', () => {
  it.each([
    ['the last line that looks like an error, not the last line', ['compiling', 'Error: cannot find module x', 'at require', 'done in 2s'], [], 'Error: cannot find module x'],
    ['an HTTP status', ['request sent', 'got HTTP 429 from the api', 'waiting'], [], 'got HTTP 429 from the api'],
    ['a status with its words', ['401 Unauthorized', 'bye'], [], '401 Unauthorized'],
    ['an errno code', ['connect ECONNREFUSED 127.0.0.1:443', 'Exiting now'], [], 'connect ECONNREFUSED 127.0.0.1:443'],
    ['permission denied', ['Permission denied (publickey).', 'cleanup'], [], 'Permission denied (publickey).'],
    ["stderr's error before stdout's", ['Error: in stdout'], ['fatal: not a git repository', 'hint: run git init'], 'fatal: not a git repository'],
    ["stderr's last line when nothing looks like an error", ['step 1', 'step 2'], ['the build stopped here'], 'the build stopped here'],
    ['the last line when there is neither', ['step 1', 'step 2'], [], 'step 2'],
    ['no decorations or stdin noise', ['real last words', '╰────────╯', 'Reading additional input from stdin...', '  ⠋  '], [], 'real last words'],
    ['a line without its box', ['│ Error: quota exceeded │', '╰──────────────────────╯'], [], 'Error: quota exceeded'],
    ['nothing at all', [], [], ''],
  ])('%s', (_what, lines, stderr, expected) => {
    expect(tellingLine(lines, stderr)).toBe(expected);
  });

  it('words that only start with E are not errno codes', () => {
    expect(tellingLine(['Every test ran', 'Exiting'], [])).toBe('Exiting');
  });
});

describe('failureReason', () => {
  it('leads with the cause and the telling line, then the tail as it was', () => {
    expect(failureReason('exit code 1', 'a\nError: b\nc', 'Error: b')).toBe('exit code 1: Error: b\na\nError: b\nc');
  });
  it('is one line when the tail is that line, or the cause already says it', () => {
    expect(failureReason('exit code 1', 'boom', 'boom')).toBe('exit code 1: boom');
    expect(failureReason('API Error: 401 bad key', 'bad key', 'bad key')).toBe('API Error: 401 bad key');
    expect(failureReason('exit code 7', '', '')).toBe('exit code 7');
  });
});

describe('retryNote', () => {
  it('drops decorations, noise and repeated lines', () => {
    expect(cleanLine('│ ✻ Thinking │')).toBe('Thinking');
    expect(retryNote('exit code 1: x\n╭───╮\n│ x │\n│ x │\nReading additional input from stdin...\ny')).toBe('exit code 1: x\nx\ny');
  });

  it('is capped, keeping the cause and the end', () => {
    const reason = ['exit code 1: Error: the cause', ...Array.from({ length: 200 }, (_, i) => `output line number ${i}`)].join('\n');
    const note = retryNote(reason);
    expect(note.length).toBeLessThanOrEqual(RETRY_NOTE_CHARS);
    expect(note.split('\n').slice(0, 2)).toEqual(['exit code 1: Error: the cause', '…']);
    expect(note.endsWith('output line number 199')).toBe(true);
  });
});
