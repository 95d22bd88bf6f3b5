import { Box, Text } from 'ink';
import { useMemo } from 'react';
import { visible } from '../src/report/visible.js';
import path from 'node:path';
import type { RunSnapshot } from '../src/scheduler/run-store.js';
import { countLabels, formatCost, formatCount, formatElapsed, limitWords, totalTokens } from '../src/report/format.js';
import { spendText } from '../src/report/budget-words.js';
import { formatBudgetHit } from '../src/scheduler/budget.js';
import { heldByPaused } from '../src/scheduler/eligibility.js';
import { NEEDS_YOU_STYLE, STATE_STYLE, fit } from './glyphs.js';
import { useNow } from './hooks/use-now.js';
import { useRun } from './hooks/use-run.js';
import { liveCount } from './ui-state.js';

const whole = (s: RunSnapshot) => s;


/**
 * The header: plan, progress, counts per state, elapsed, slots in use (running, paused mid-run, waiting for a lock),
 * tokens and cost (against the budget), PAUSED, the critical path's length, the run's id, how many tasks need you,
 * each provider held for its usage limit and when it resets,
 * and when paused tasks are all that hold the run, that nothing can run and which key resumes (`resumeKey`).
 */
export function StatusBar({ width, runId, resumeKey, critical }: { width: number; runId?: string; resumeKey: string; critical: number }) {
  const s = useRun(whole);
  const labels = useMemo(() => countLabels(s.tasks), [s.tasks]);
  const held = useMemo(() => heldByPaused(s.tasks), [s.tasks]);
  const asking = Object.keys(s.needsYou).length;
  const now = useNow(!s.finished);
  const total = s.tasks.length;
  const done = s.counts.completed + s.counts.failed + s.counts.skipped + s.counts.blocked + s.counts.cancelled;
  const barWidth = Math.max(10, Math.min(30, width - 70));
  const filled = total ? Math.round((done / total) * barWidth) : 0;
  const tokens = totalTokens(s.usage);
  const ended = s.tasks.reduce((t, r) => Math.max(t, r.endedAt ?? 0), 0);
  const elapsed = (s.finished && ended ? ended : now) - s.startedAt;
  return (
    <Box flexDirection="column" width={width} height={2}>
      <Box>
        <Text wrap="truncate">
          <Text bold>{fit(`${visible(s.plan)} `, 28)}</Text>
          <Text color="green">{'█'.repeat(filled)}</Text>
          <Text color="gray">{'░'.repeat(barWidth - filled)}</Text>
          <Text>{` ${done}/${total}  ⏱ ${formatElapsed(elapsed)}  running ${liveCount(s)}/${s.concurrency}`}</Text>
          <Text color="gray">{`  ${formatCount(tokens)} tok ${formatCost(s.usage, 2)}`}</Text>
          {s.budget ? <Text color={s.overBudget ? 'red' : 'gray'}>{`  budget ${spendText(s.usage, s.budget)}`}</Text> : null}
          {s.paused ? <Text color="black" backgroundColor="yellow" bold>{' PAUSED '}</Text> : null}
          {s.finished ? <Text color="green" bold>{'  FINISHED'}</Text> : null}
        </Text>
      </Box>
      <Box>
        <Text wrap="truncate">
          {/* First: they are what the person has to act on, and the line is cut at the right. */}
          {asking > 0 ? <Text color={NEEDS_YOU_STYLE.color} bold>{`${NEEDS_YOU_STYLE.glyph} ${asking} need${asking === 1 ? 's' : ''} you  `}</Text> : null}
          {s.holds.map((h) => (
            <Text key={h.provider} color="magenta" bold>{`${visible(limitWords(h.provider, h.resetsAt ?? h.until, now))}  `}</Text>
          ))}
          {held > 0 ? <Text color="yellow" bold>{`nothing can run: ${held} task${held === 1 ? '' : 's'} paused — ${resumeKey} to resume  `}</Text> : null}
          {labels.map(([label, n]) => (
            <Text key={label} color={STATE_STYLE[label].color}>{`${STATE_STYLE[label].glyph} ${n} ${label}  `}</Text>
          ))}
          {s.interrupted ? <Text color="blue" bold>{`INTERRUPTED (${s.interrupted})  `}</Text> : null}
          {s.overBudget ? <Text color="red" bold>{`OVER BUDGET: ${formatBudgetHit(s.overBudget)}  `}</Text> : null}
          {critical ? <Text color="yellow">{`◆ critical path: ${critical} task${critical === 1 ? '' : 's'}  `}</Text> : null}
          <Text color="gray">{`${runId !== undefined ? `run ${runId} · ` : ''}${path.basename(s.file)}`}</Text>
        </Text>
      </Box>
    </Box>
  );
}
