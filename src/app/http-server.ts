// The node's one HTTP port: /health, /ready, /metrics and the Connect admin service, on Bun.serve.

import { Hono } from "hono";
import type { AdminNode } from "../admin/admin-node.ts";
import { createAdminServiceApp, type NodeStatus } from "../admin/admin-service.ts";
import { createHealthApp, type ReadinessCheck } from "../admin/health-app.ts";
import { createMetricsApp } from "../admin/metrics-app.ts";
import type { Logger } from "../base/logger.ts";
import type { MetricsRegistry } from "../base/metrics.ts";

export interface HttpDeps {
  readiness: ReadinessCheck;
  registry: MetricsRegistry;
  status: () => NodeStatus;
  /** The running broker node for the admin API; undefined while it starts. */
  node?: () => AdminNode | undefined;
  /** --admin-token: every admin call must carry it; null leaves the admin API open. */
  adminToken?: string | null;
  logger: Logger;
}

export function createHttpApp(deps: HttpDeps): Hono {
  const app = new Hono();
  app.route("/", createHealthApp(deps));
  app.route("/", createMetricsApp(deps));
  app.route("/", createAdminServiceApp(deps));
  app.onError((error, c) => {
    deps.logger.error("http handler failed", { path: c.req.path, error });
    return c.json({ error: "internal error" }, 500);
  });
  return app;
}

export function startHttpServer(options: { host: string; port: number }, deps: HttpDeps) {
  const app = createHttpApp(deps);
  return Bun.serve({ hostname: options.host, port: options.port, fetch: app.fetch });
}
