// The Kafka listeners' TLS material, read from the files --tls-cert, --tls-key and --tls-client-ca name, and
// read again without a restart: on SIGHUP, or when a file's modification time changes (a renewed certificate
// written over the old one, as cert-manager or certbot do). A renewal that does not load (a key that does not
// match, a half-written file) is logged and the listeners keep the certificate they have.

import { createPrivateKey, X509Certificate } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import type { Cancel, Scheduler } from "../base/clock.ts";
import type { Logger } from "../base/logger.ts";
import type { SecurityConfig } from "./server-config.ts";

type TlsFiles = NonNullable<SecurityConfig["tls"]>;

/** How often the files' modification times are compared: a renewal is served within this long. */
export const tlsFilesPollMs = 5_000;

/** Bun's TLS options for a Kafka listener: with a client CA, a trusted client certificate is required. */
export function loadTlsOptions(files: TlsFiles): Bun.TLSOptions {
  const cert = readFileSync(files.certFile, "utf8");
  const key = readFileSync(files.keyFile, "utf8");
  // Refuse here, with a clear message, what Bun would refuse with an opaque one (or accept and fail handshakes).
  const certificate = new X509Certificate(cert);
  if (!certificate.checkPrivateKey(createPrivateKey(key))) {
    throw new Error(`${files.keyFile} is not the private key of ${files.certFile}`);
  }
  if (files.clientCaFile === null) return { cert, key };
  const ca = readFileSync(files.clientCaFile, "utf8");
  return { cert, key, ca, requestCert: true, rejectUnauthorized: true };
}

function modificationTimes(files: TlsFiles): string {
  return [files.certFile, files.keyFile, files.clientCaFile]
    .map((file) => {
      if (file === null) return "";
      try {
        return String(statSync(file).mtimeMs);
      } catch {
        return "missing";
      }
    })
    .join("|");
}

/** Calls `apply` with freshly loaded options on SIGHUP or a change of the files; returns the stop. */
export function watchTlsFiles(
  files: TlsFiles,
  apply: (options: Bun.TLSOptions) => void,
  deps: { scheduler: Scheduler; logger: Logger },
): Cancel {
  let seen = modificationTimes(files);
  const reload = (reason: string) => {
    seen = modificationTimes(files);
    try {
      apply(loadTlsOptions(files));
      deps.logger.info("tls certificate reloaded", { reason, certFile: files.certFile });
    } catch (error) {
      deps.logger.error("tls certificate not reloaded: keeping the current one", { reason, error });
    }
  };
  const onHangUp = () => reload("SIGHUP");
  process.on("SIGHUP", onHangUp);
  const cancelPoll = deps.scheduler.setInterval(() => {
    if (modificationTimes(files) !== seen) reload("files changed");
  }, tlsFilesPollMs);
  return () => {
    process.off("SIGHUP", onHangUp);
    cancelPoll();
  };
}
