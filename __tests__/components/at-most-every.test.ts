import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { atMostEvery } from '../../components/at-most-every.js';

beforeEach(() => {
  jest.useFakeTimers();
});
afterEach(() => {
  jest.useRealTimers();
});

describe('atMostEvery', () => {
  it('calls at once after a quiet spell, then folds a burst into one call at the end of the window', () => {
    const fn = jest.fn();
    const paced = atMostEvery(100, fn);
    paced.call();
    expect(fn).toHaveBeenCalledTimes(1);
    for (let i = 0; i < 50; i++) paced.call();
    expect(fn).toHaveBeenCalledTimes(1);
    jest.advanceTimersByTime(100);
    expect(fn).toHaveBeenCalledTimes(2);
    // A burst that keeps going: one call per window, never one per change.
    for (let t = 0; t < 1000; t += 10) {
      paced.call();
      jest.advanceTimersByTime(10);
    }
    expect(fn.mock.calls.length).toBeGreaterThanOrEqual(11);
    expect(fn.mock.calls.length).toBeLessThanOrEqual(13);
  });

  it('after a window with no calls, the next call is at once again', () => {
    const fn = jest.fn();
    const paced = atMostEvery(100, fn);
    paced.call();
    jest.advanceTimersByTime(250);
    expect(fn).toHaveBeenCalledTimes(1);
    paced.call();
    expect(fn).toHaveBeenCalledTimes(2);
  });

  it('cancel drops the call waiting for the end of the window', () => {
    const fn = jest.fn();
    const paced = atMostEvery(100, fn);
    paced.call();
    paced.call();
    paced.cancel();
    jest.advanceTimersByTime(500);
    expect(fn).toHaveBeenCalledTimes(1);
  });
});
