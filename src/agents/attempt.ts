import type { BackendOutcome, Execution } from './backend.js';

/** Lines and characters of output that make a result taken from the transcript's tail. */
export const RESULT_LINES = 20;
export const RESULT_CHARS = 4096;
/** Lines and characters of output quoted in a failure reason. */
export const REASON_LINES = 5;
export const REASON_CHARS = 1024;

/** An attempt that ended before it began (aborted before start): nothing to pause or resume. */
export function settled(outcome: BackendOutcome): Execution {
  return { done: Promise.resolve(outcome), pause() {}, resume() {} };
}

/** Why an attempt was stopped, in words: the stop cause's message, or the abort reason as text. */
export function abortReason(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  const message = typeof reason === 'object' && reason !== null && 'message' in reason ? reason.message : undefined;
  return String(message ?? reason ?? 'aborted');
}
