// Proves --listeners, --advertised-listeners and --listener-security-protocol-map are read as Kafka reads
// listeners, advertised.listeners and listener.security.protocol.map, and that --kafka-port stays the short
// form of one PLAINTEXT listener; every inconsistent setting is refused in one line.

import { describe, expect, test } from "bun:test";
import { parseCommandLine } from "../../src/cli/parse-command-line.ts";

function run(argv: string[], env: Record<string, string> = {}) {
  const result = parseCommandLine(argv, env);
  if (result.kind !== "run") throw new Error(`expected a config, got ${JSON.stringify(result)}`);
  return result.config;
}

function errorOf(argv: string[], env: Record<string, string> = {}): string {
  const result = parseCommandLine(argv, env);
  if (result.kind !== "error") throw new Error(`expected an error, got ${JSON.stringify(result)}`);
  return result.message;
}

const tlsFiles = ["--tls-cert", "cert.pem", "--tls-key", "key.pem"];

describe("listeners", () => {
  test("--kafka-port and --advertised-addr make one PLAINTEXT listener", () => {
    const config = run(["--kafka-port", "9999", "--advertised-addr", "broker1", "standalone"]);
    expect(config.listeners).toEqual([
      {
        name: "PLAINTEXT",
        securityProtocol: "PLAINTEXT",
        bindHost: "0.0.0.0",
        port: 9999,
        advertisedHost: "broker1",
        advertisedPort: 9999,
      },
    ]);
    expect(config.security).toEqual({ tls: null, saslUsersFile: null, reauthMsMax: 0, clusterSecret: null });
  });

  test("Kafka's form: protocols by name, hosts left out bind --bind-addr and advertise --advertised-addr", () => {
    const config = run([
      ...["--listeners", "PLAINTEXT://:9092,SASL_SSL://0.0.0.0:9093,INTERNAL://10.0.0.5:9094"],
      ...["--listener-security-protocol-map", "INTERNAL:SSL"],
      ...["--advertised-addr", "public.example", ...tlsFiles],
      "standalone",
    ]);
    expect(config.listeners.map((l) => [l.name, l.securityProtocol, l.bindHost, l.port])).toEqual([
      ["PLAINTEXT", "PLAINTEXT", "0.0.0.0", 9092],
      ["SASL_SSL", "SASL_SSL", "0.0.0.0", 9093],
      ["INTERNAL", "SSL", "10.0.0.5", 9094],
    ]);
    expect(config.listeners.map((l) => `${l.advertisedHost}:${l.advertisedPort}`)).toEqual([
      "public.example:9092",
      "public.example:9093",
      "10.0.0.5:9094",
    ]);
    // The first listener is the one the short-form fields describe.
    expect([config.kafkaPort, config.advertisedHost]).toEqual([9092, "public.example"]);
  });

  test("--advertised-listeners from the environment overrides per listener", () => {
    const config = run(["standalone"], {
      CHRONIK_LISTENERS: "PLAINTEXT://:9092,EXTERNAL://:9095",
      CHRONIK_LISTENER_SECURITY_PROTOCOL_MAP: "EXTERNAL:PLAINTEXT",
      CHRONIK_ADVERTISED_LISTENERS: "EXTERNAL://lb.example:19095",
    });
    expect(config.listeners.map((l) => `${l.name}=${l.advertisedHost}:${l.advertisedPort}`)).toEqual([
      "PLAINTEXT=localhost:9092",
      "EXTERNAL=lb.example:19095",
    ]);
  });

  test("inconsistent settings are refused in one line", () => {
    expect(errorOf(["--listeners", "CLIENT://:9092", "standalone"])).toContain(
      "CLIENT has no security protocol",
    );
    expect(errorOf(["--listeners", "PLAINTEXT://:9092,PLAINTEXT://:9093", "standalone"])).toContain(
      "appears twice",
    );
    expect(errorOf(["--listeners", "PLAINTEXT://:9092,SSL://:9092", ...tlsFiles, "standalone"])).toContain(
      "port 9092 is used twice",
    );
    expect(errorOf(["--listeners", "PLAINTEXT//:9092", "standalone"])).toContain("is not NAME://host:port");
    expect(errorOf(["--listeners", "SSL://:9093", "standalone"])).toContain(
      "--tls-cert and --tls-key are required",
    );
    expect(
      errorOf(["--listeners", "PLAINTEXT://:9092", "--advertised-listeners", "OTHER://h:1", "standalone"]),
    ).toContain("OTHER is not one of --listeners");
    expect(
      errorOf(["--listeners", "A://:1", "--listener-security-protocol-map", "A:TLS", "standalone"]),
    ).toContain("NAME:PROTOCOL");
    expect(errorOf(["--advertised-listeners", "PLAINTEXT://h:1", "standalone"])).toContain(
      "needs --listeners",
    );
  });
});
