import { DateTime } from 'luxon';

/** The provider's usage limit, as an agent reported it: when it resets (epoch ms), if it said. */
export interface UsageLimit {
  resetsAt?: number;
}

/**
 * Finds a provider's usage limit in an agent's own words, and when it resets.
 * The forms, each from the real CLIs (fixtures in __tests__/agents/providers/usage-limit.test.ts):
 *
 * - Claude Code 2.1: "You've hit your 5-hour limit · resets 1:56am (UTC)", "You've hit your limit ·
 *   resets 4pm (Europe/Berlin)", "You've hit your weekly limit · resets Sep 24 at 3pm (Australia/Brisbane)",
 *   "… · resets in 1d 5h"; before it, "Claude AI usage limit reached|1700000000" (epoch seconds).
 * - Codex CLI: "You’ve hit your usage limit. Visit … or try again at 4:05 PM." (today, local time) or
 *   "… try again at Jul 9th, 2026 1:47 AM.", and "… try again in 2 hours 13 minutes." before that.
 * - The APIs' bodies: `usage_limit_reached` with `resets_at` (epoch seconds) or `resets_in_seconds`.
 *
 * Undefined when the text names no usage limit. A limit whose reset cannot be read has no `resetsAt`
 * (the caller waits its default). Wall times without a zone are the machine's local time, as the
 * CLI that printed them ran on this machine.
 */
export function findUsageLimit(text: string, now = Date.now()): UsageLimit | undefined {
  const epoch = /usage limit reached\|(\d{10})\b/i.exec(text);
  if (epoch) return { resetsAt: Number(epoch[1]) * 1000 };
  const claude = /hit your (?:[\w-]+ )?limit\s*·\s*resets ([^\n(]+?)\s*(?:\(([^)\n]+)\))?\s*$/im.exec(text);
  if (claude) return withReset(resetTime(claude[1]!, claude[2], now));
  const codex = /hit your usage limit\b[^\n]*?try again (at|in) ([^\n]+?)\.?\s*$/im.exec(text);
  if (codex) return withReset(codex[1] === 'in' ? now + spanMs(codex[2]!) : resetTime(codex[2]!, undefined, now));
  if (/usage_limit_reached/.test(text)) {
    const at = /"?resets_at"?\s*[:=]\s*(\d{10})\b/.exec(text);
    if (at) return { resetsAt: Number(at[1]) * 1000 };
    const inS = /"?resets_in_seconds"?\s*[:=]\s*(\d+)/.exec(text);
    return withReset(inS ? now + Number(inS[1]) * 1000 : undefined);
  }
  if (/hit your (?:[\w-]+ )?(?:usage )?limit/i.test(text)) return {};
  return undefined;
}

function withReset(at: number | undefined): UsageLimit {
  return at !== undefined && Number.isFinite(at) ? { resetsAt: at } : {};
}

/** "2 hours 13 minutes", "1d 5h", "45 min" as ms; NaN when none of it reads. */
function spanMs(text: string): number {
  let total = 0;
  let found = false;
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)\s*(d(?:ays?)?|h(?:ours?|rs?)?|m(?:in(?:ute)?s?)?|s(?:ec(?:ond)?s?)?)\b/gi)) {
    found = true;
    const unit = m[2]!.toLowerCase()[0];
    total += Number(m[1]) * (unit === 'd' ? 86_400_000 : unit === 'h' ? 3_600_000 : unit === 'm' ? 60_000 : 1000);
  }
  return found ? total : NaN;
}

/** Date forms a reset is printed in, with or without a date and minutes (Luxon tokens). */
const DATE_FORMATS = ['LLL d, yyyy h:mm a', 'LLL d yyyy h:mm a', 'LLL d, yyyy h a', 'LLL d h:mm a', 'LLL d h a', 'LLL d ha', 'LLL d h:mma'];
const TIME_FORMATS = ['h:mm a', 'h a', 'H:mm'];

/**
 * A printed reset ("1:56am", "4pm", "Sep 24 at 3pm", "Jul 9th, 2026 1:47 AM", "in 1d 5h") in `zone`
 * (an IANA name; default local) as epoch ms: a time of day without a date is the next time the
 * clock reads it. Undefined when it does not read as a time.
 */
export function resetTime(printed: string, zone: string | undefined, now = Date.now()): number | undefined {
  const text = printed.trim();
  if (/^in\s/i.test(text)) {
    const ms = spanMs(text);
    return Number.isFinite(ms) ? now + ms : undefined;
  }
  const at = DateTime.fromMillis(now, { zone: zone ?? 'local' });
  if (!at.isValid) return resetTime(text, undefined, now); // a zone Luxon does not know: read as local
  // "Jul 9th, 2026 1:47 AM" → "Jul 9, 2026 1:47 AM"; "Sep 24 at 3pm" → "Sep 24 3 pm"; "1:56am" → "1:56 am".
  const plain = text
    .replace(/(\d)(st|nd|rd|th)\b/gi, '$1')
    .replace(/\s+at\s+/i, ' ')
    .replace(/(\d)\s*([ap])\.?m\.?(?=\s|$)/gi, (_m, d: string, ap: string) => `${d} ${ap.toUpperCase()}M`)
    .replace(/\s+/g, ' ');
  const opts = { zone: at.zone, locale: 'en-US' };
  for (const format of DATE_FORMATS) {
    let parsed = DateTime.fromFormat(plain, format, opts);
    if (!parsed.isValid) continue;
    // A date without a year is this year's, or next year's if that day has passed.
    if (!format.includes('yyyy') && parsed.toMillis() < now - 86_400_000) parsed = parsed.plus({ years: 1 });
    return parsed.toMillis();
  }
  for (const format of TIME_FORMATS) {
    const parsed = DateTime.fromFormat(plain, format, opts);
    if (!parsed.isValid) continue;
    let when = at.set({ hour: parsed.hour, minute: parsed.minute, second: 0, millisecond: 0 });
    // Printed to the minute, a reset seconds away may read a little before now: that is today's.
    if (when.toMillis() < now - 120_000) when = when.plus({ days: 1 });
    return when.toMillis();
  }
  return undefined;
}
