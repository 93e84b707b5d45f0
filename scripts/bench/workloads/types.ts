/** Types shared by the benchmark workloads and their runner. */
export type Sync = "normal" | "full";
export type Metrics = Record<string, number>;

/** A target on one metric: at least (`min`) or below (`max`). */
export interface Target {
  metric: string;
  min?: number;
  max?: number;
}

export interface Variant {
  workload: string;
  /** What distinguishes this variant (e.g. the concurrency limit). */
  params: Record<string, number | string>;
  run(sync: Sync): Promise<Metrics>;
  targets(sync: Sync): Target[];
  /** Metrics without a target that the runner also prints run by run after the table. */
  perRun?: string[];
}

export interface Sizes {
  quick: boolean;
  historyCount: number;
}

// ---- in-process engine ----
