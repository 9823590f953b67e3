// /health says the process is up; /ready says it can serve (listeners bound, logs recovered). Orchestrators
// restart on the first and route traffic on the second, so they must not be the same check.

import { Hono } from "hono";

export interface ReadinessCheck {
  /** Names of what is not ready yet; empty when the node can serve. */
  notReady(): string[];
}

export function createHealthApp(deps: { readiness: ReadinessCheck }): Hono {
  const app = new Hono();
  app.get("/health", (c) => c.json({ status: "ok" }));
  app.get("/ready", (c) => {
    const waitingFor = deps.readiness.notReady();
    if (waitingFor.length === 0) return c.json({ status: "ready" });
    return c.json({ status: "not ready", waitingFor }, 503);
  });
  return app;
}
