// Proves the registry renders the Prometheus text format: help and type lines, escaped labels, cumulative
// histogram buckets, and collectors run before each scrape.

import { expect, test } from "bun:test";
import { MetricsRegistry } from "../../src/base/metrics.ts";

test("counters, gauges and histograms render in the exposition format", () => {
  const registry = new MetricsRegistry();
  const requests = registry.counter("kafka_requests_total", "Requests handled", ["api"]);
  requests.labels({ api: "Produce" }).inc(3);
  requests.labels({ api: 'we"ird' }).inc();
  const hw = registry.gauge("partition_high_watermark", "High watermark", ["topic", "partition"]);
  let collected = 0;
  registry.onCollect(() => hw.labels({ topic: "t", partition: "0" }).set(++collected * 10));
  const latency = registry.histogram("latency_seconds", "Latency", [], [0.001, 0.01]);
  const child = latency.labels();
  child.observe(0.0005);
  child.observe(0.005);
  child.observe(5);

  const text = registry.render();
  expect(text).toContain("# HELP kafka_requests_total Requests handled\n# TYPE kafka_requests_total counter");
  expect(text).toContain('kafka_requests_total{api="Produce"} 3');
  expect(text).toContain('kafka_requests_total{api="we\\"ird"} 1');
  expect(text).toContain('partition_high_watermark{topic="t",partition="0"} 10');
  expect(text).toContain('latency_seconds_bucket{le="0.001"} 1\nlatency_seconds_bucket{le="0.01"} 2');
  expect(text).toContain(
    'latency_seconds_bucket{le="+Inf"} 3\nlatency_seconds_sum 5.0055\nlatency_seconds_count 3',
  );
  expect(registry.render()).toContain('partition_high_watermark{topic="t",partition="0"} 20');
});

test("a metric name registered twice is a bug", () => {
  const registry = new MetricsRegistry();
  registry.counter("x_total", "x");
  expect(() => registry.counter("x_total", "x")).toThrow("registered twice");
});
