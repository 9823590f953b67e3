// What accepts connections without authenticating them, named once at start-up: PLAINTEXT listeners, SSL
// listeners without --tls-client-ca, the admin API without --admin-token, and the Raft peer port without
// --cluster-secret. With security configured anywhere, an open door is worth a warning.

import type { Logger } from "../base/logger.ts";
import { type ServerConfig, usesSasl } from "./server-config.ts";

export function unauthenticatedDoors(config: ServerConfig): string[] {
  const doors = config.listeners
    .filter(
      (listener) =>
        !usesSasl(listener.securityProtocol) &&
        !(listener.securityProtocol === "SSL" && config.security.tls?.clientCaFile != null),
    )
    .map(
      (listener) => `kafka listener ${listener.name} (${listener.securityProtocol}, port ${listener.port})`,
    );
  if (config.adminToken === null) doors.push(`admin API (port ${config.httpPort})`);
  if (config.raft !== null && config.security.clusterSecret === null) {
    doors.push(`raft peer port ${config.raft.port}`);
  }
  return doors;
}

function securityConfigured(config: ServerConfig): boolean {
  return (
    config.listeners.some((listener) => listener.securityProtocol !== "PLAINTEXT") ||
    config.adminToken !== null ||
    config.security.clusterSecret !== null
  );
}

export function logUnauthenticatedDoors(config: ServerConfig, logger: Logger): void {
  const doors = unauthenticatedDoors(config);
  if (doors.length === 0) {
    logger.info("every listener authenticates its connections");
    return;
  }
  const fields = { open: doors };
  if (securityConfigured(config)) logger.warn("open without authentication", fields);
  else logger.info("open without authentication (no security configured)", fields);
}
