/**
 * Counters and histograms for the engine's hot path: each series is a plain object the engine
 * adds to (a field increment, a bucket found in a short array), with no label hashing or
 * allocation per call, which prom-client's own metrics do on every `inc` and `observe`. At
 * scrape time a family describes itself as prom-client's `get()` answer (name, help, type and
 * values), so `metrics.ts` registers it in its registry and prom-client writes the text, label
 * escaping included.
 */

type Labels = Readonly<Record<string, string>>;

/** One sample as prom-client's registry renders it. */
interface Sample {
  metricName?: string;
  labels: Labels;
  value: number;
}

/** What prom-client's registry reads of a metric: `metrics.ts` registers families as such. */
export interface Family {
  readonly name: string;
  readonly help: string;
  readonly type: "counter" | "histogram";
  get(): Promise<{ name: string; help: string; type: string; values: Sample[]; aggregator: "sum" }>;
}

export class CounterSeries {
  value = 0;
  constructor(readonly labels: Labels) {}

  inc(by = 1): void {
    this.value += by;
  }
}

export class CounterFamily implements Family {
  readonly type = "counter" as const;
  private readonly series: CounterSeries[] = [];

  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  /** A new series, at 0 (it shows at 0 from now on). */
  add(labels: Labels): CounterSeries {
    const s = new CounterSeries(labels);
    this.series.push(s);
    return s;
  }

  async get() {
    const values = this.series.map((s) => ({ labels: s.labels, value: s.value }));
    return { name: this.name, help: this.help, type: this.type, values, aggregator: "sum" as const };
  }
}

export class HistogramSeries {
  /** Observations per bucket (not cumulative); the last is above every bound. */
  readonly counts: number[];
  sum = 0;
  count = 0;

  constructor(
    readonly labels: Labels,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Array<number>(bounds.length + 1).fill(0);
  }

  observe(value: number): void {
    const { bounds } = this;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
  }
}

export class HistogramFamily implements Family {
  readonly type = "histogram" as const;
  private readonly series: HistogramSeries[] = [];

  /** @param bounds upper bounds of the buckets, ascending; `+Inf` is added */
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly bounds: readonly number[],
  ) {}

  /** A new series; it shows from its first observation on. */
  add(labels: Labels): HistogramSeries {
    const s = new HistogramSeries(labels, this.bounds);
    this.series.push(s);
    return s;
  }

  /** `_bucket` samples cumulative with `le` last, then `_sum` and `_count`, per series observed. */
  async get() {
    const values: Sample[] = [];
    for (const s of this.series) {
      if (s.count === 0) continue;
      let cumulative = 0;
      for (let i = 0; i <= this.bounds.length; i++) {
        cumulative += s.counts[i]!;
        const le = i < this.bounds.length ? String(this.bounds[i]) : "+Inf";
        values.push({ metricName: `${this.name}_bucket`, labels: { ...s.labels, le }, value: cumulative });
      }
      values.push({ metricName: `${this.name}_sum`, labels: s.labels, value: s.sum });
      values.push({ metricName: `${this.name}_count`, labels: s.labels, value: s.count });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: "sum" as const };
  }
}
