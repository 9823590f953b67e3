// /metrics in the Prometheus text exposition format.

import { Hono } from "hono";
import type { MetricsRegistry } from "../base/metrics.ts";

export const prometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

export function createMetricsApp(deps: { registry: MetricsRegistry }): Hono {
  const app = new Hono();
  app.get("/metrics", (c) => c.body(deps.registry.render(), 200, { "content-type": prometheusContentType }));
  return app;
}
