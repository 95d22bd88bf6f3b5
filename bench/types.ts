/** One measured figure of a benchmark, printed as a row of `npm run bench`. */
export interface BenchRow {
  bench: string;
  measure: string;
  value: number;
  unit: string;
  /** The goal, as text (`< 1000 ms`, `≤ 1.2×`), when the issue sets one. */
  goal?: string;
  /** Whether the goal was met; undefined when there is no goal. */
  met?: boolean;
}

/** A benchmark module: runs its measurements and returns the rows. */
export type Bench = () => Promise<BenchRow[]>;
