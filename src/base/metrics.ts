// A small Prometheus registry: counters, gauges and histograms with labels, rendered in the text exposition
// format (version 0.0.4). Hot paths hold a child (one label set) and call inc/observe on it: no map look-up
// per event. Gauges that mirror state elsewhere are collected at scrape time through a callback.

import { assert } from "./assert.ts";

type Labels = Readonly<Record<string, string>>;

function labelKey(names: readonly string[], labels: Labels): string {
  return names.map((name) => labels[name] ?? "").join("\u0000");
}

function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function renderLabels(names: readonly string[], values: readonly string[], extra = ""): string {
  const pairs = names.map((name, index) => `${name}="${escapeLabelValue(values[index] ?? "")}"`);
  if (extra !== "") pairs.push(extra);
  return pairs.length === 0 ? "" : `{${pairs.join(",")}}`;
}

function formatNumber(value: number): string {
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  if (value === Number.NEGATIVE_INFINITY) return "-Inf";
  return Number.isNaN(value) ? "NaN" : String(value);
}

interface Metric {
  readonly name: string;
  render(): string;
}

abstract class Family<Child> implements Metric {
  private readonly children = new Map<string, { values: string[]; child: Child }>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: "counter" | "gauge" | "histogram",
    readonly labelNames: readonly string[],
  ) {
    assert(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name), `invalid metric name ${name}`);
  }

  protected abstract createChild(): Child;
  protected abstract renderChild(labelValues: readonly string[], child: Child): string[];

  /** The child for one label set; keep it where the event happens instead of looking it up each time. */
  labels(labels: Labels = {}): Child {
    const key = labelKey(this.labelNames, labels);
    let entry = this.children.get(key);
    if (!entry) {
      entry = { values: this.labelNames.map((name) => labels[name] ?? ""), child: this.createChild() };
      this.children.set(key, entry);
    }
    return entry.child;
  }

  /** Drops a label set (a deleted partition, a closed connection's client). */
  remove(labels: Labels): void {
    this.children.delete(labelKey(this.labelNames, labels));
  }

  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${this.type}`];
    for (const { values, child } of this.children.values()) lines.push(...this.renderChild(values, child));
    return lines.join("\n");
  }
}

export class CounterChild {
  value = 0;
  inc(amount = 1): void {
    assert(amount >= 0, "a counter only goes up");
    this.value += amount;
  }
}

export class Counter extends Family<CounterChild> {
  constructor(name: string, help: string, labelNames: readonly string[] = []) {
    super(name, help, "counter", labelNames);
  }
  protected createChild(): CounterChild {
    return new CounterChild();
  }
  protected renderChild(values: readonly string[], child: CounterChild): string[] {
    return [`${this.name}${renderLabels(this.labelNames, values)} ${formatNumber(child.value)}`];
  }
}

export class GaugeChild {
  value = 0;
  set(value: number): void {
    this.value = value;
  }
  inc(amount = 1): void {
    this.value += amount;
  }
  dec(amount = 1): void {
    this.value -= amount;
  }
}

export class Gauge extends Family<GaugeChild> {
  constructor(name: string, help: string, labelNames: readonly string[] = []) {
    super(name, help, "gauge", labelNames);
  }
  protected createChild(): GaugeChild {
    return new GaugeChild();
  }
  protected renderChild(values: readonly string[], child: GaugeChild): string[] {
    return [`${this.name}${renderLabels(this.labelNames, values)} ${formatNumber(child.value)}`];
  }
}

export class HistogramChild {
  readonly bucketCounts: Float64Array;
  sum = 0;
  count = 0;
  constructor(readonly upperBounds: readonly number[]) {
    this.bucketCounts = new Float64Array(upperBounds.length);
  }
  observe(value: number): void {
    this.sum += value;
    this.count++;
    const bounds = this.upperBounds;
    for (let index = 0; index < bounds.length; index++) {
      if (value <= bounds[index]!) {
        this.bucketCounts[index]!++;
        return;
      }
    }
  }
}

/**
 * Latency buckets in seconds, 50 µs to 10 s: a produce with fsync sits in the sub-millisecond ones, and its tail
 * in the 1-5 ms ones, finer there so a p99 near a 2 ms goal can be read off.
 */
export const latencySecondsBuckets: readonly number[] = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.00075, 0.001, 0.0015, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.025, 0.05,
  0.1, 0.25, 0.5, 1, 2.5, 10,
];

export class Histogram extends Family<HistogramChild> {
  constructor(
    name: string,
    help: string,
    labelNames: readonly string[] = [],
    readonly upperBounds: readonly number[] = latencySecondsBuckets,
  ) {
    super(name, help, "histogram", labelNames);
    for (let index = 1; index < upperBounds.length; index++) {
      assert(upperBounds[index]! > upperBounds[index - 1]!, "histogram buckets must increase");
    }
  }
  protected createChild(): HistogramChild {
    return new HistogramChild(this.upperBounds);
  }
  protected renderChild(values: readonly string[], child: HistogramChild): string[] {
    const lines: string[] = [];
    let cumulative = 0;
    child.upperBounds.forEach((bound, index) => {
      cumulative += child.bucketCounts[index]!;
      const labels = renderLabels(this.labelNames, values, `le="${formatNumber(bound)}"`);
      lines.push(`${this.name}_bucket${labels} ${cumulative}`);
    });
    lines.push(`${this.name}_bucket${renderLabels(this.labelNames, values, 'le="+Inf"')} ${child.count}`);
    lines.push(`${this.name}_sum${renderLabels(this.labelNames, values)} ${formatNumber(child.sum)}`);
    lines.push(`${this.name}_count${renderLabels(this.labelNames, values)} ${child.count}`);
    return lines;
  }
}

export class MetricsRegistry {
  private readonly metrics = new Map<string, Metric>();
  private readonly collectors: Array<() => void> = [];

  register<M extends Metric>(metric: M): M {
    assert(!this.metrics.has(metric.name), `metric ${metric.name} registered twice`);
    this.metrics.set(metric.name, metric);
    return metric;
  }

  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.register(new Counter(name, help, labelNames));
  }

  gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge {
    return this.register(new Gauge(name, help, labelNames));
  }

  histogram(name: string, help: string, labelNames: readonly string[] = [], upperBounds?: readonly number[]) {
    return this.register(new Histogram(name, help, labelNames, upperBounds));
  }

  /** Runs before each scrape: refreshes gauges that mirror state held elsewhere (log end offsets, sizes). */
  onCollect(collect: () => void): void {
    this.collectors.push(collect);
  }

  render(): string {
    for (const collect of this.collectors) collect();
    return `${[...this.metrics.values()].map((metric) => metric.render()).join("\n")}\n`;
  }
}
