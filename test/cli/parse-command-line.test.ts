// Proves the command line and environment become a validated config, flags beat the environment, and every
// bad value is refused with one line naming the option, the value and what is allowed.

import { describe, expect, test } from "bun:test";
import { helpText } from "../../src/cli/help.ts";
import { optionSpecs } from "../../src/cli/options.ts";
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

describe("parseCommandLine", () => {
  test("defaults follow the original Chronik design", () => {
    const config = run(["standalone"]);
    expect(config.mode).toBe("standalone");
    expect(config.kafkaPort).toBe(9092);
    expect(config.advertisedHost).toBe("localhost");
    expect(config.advertisedPort).toBe(9092);
    expect(config.nodeId).toBe(1);
    expect(config.dataDir).toBe("./data");
    expect(config.broker).toEqual({
      autoCreateTopics: true,
      numPartitions: 1,
      defaultReplicationFactor: 0,
      messageMaxBytes: 1048588,
      logCleanerBackoffMs: 15000,
      logCleanerIoMaxBytesPerSecond: 67108864,
    });
    // Kafka's defaults for every group setting.
    expect(config.groups).toEqual({
      classic: {
        initialRebalanceDelayMs: 3000,
        sessionTimeoutMsMin: 6000,
        sessionTimeoutMsMax: 1_800_000,
        groupMaxSize: 2147483647,
      },
      consumer: {
        heartbeatIntervalMs: 5000,
        heartbeatIntervalMsMin: 5000,
        heartbeatIntervalMsMax: 15000,
        sessionTimeoutMs: 45000,
        sessionTimeoutMsMin: 45000,
        sessionTimeoutMsMax: 60000,
        groupMaxSize: 2147483647,
      },
    });
    expect(config.raft).toBeNull();
  });

  test("flags, --flag=value and environment variables, flags winning", () => {
    const config = run(["--kafka-port", "19092", "--data-dir=/tmp/x", "standalone"], {
      CHRONIK_KAFKA_PORT: "29092",
      CHRONIK_NODE_ID: "7",
      CHRONIK_AUTO_CREATE_TOPICS: "false",
    });
    expect(config.kafkaPort).toBe(19092);
    expect(config.advertisedPort).toBe(19092);
    expect(config.dataDir).toBe("/tmp/x");
    expect(config.nodeId).toBe(7);
    expect(config.broker.autoCreateTopics).toBe(false);
  });

  test("the KIP-848 group timings and their bounds can be set, by flag or environment", () => {
    const config = run(
      [
        ...["--group-consumer-heartbeat-interval-ms", "500"],
        ...["--group-consumer-min-heartbeat-interval-ms=200", "--group-consumer-max-size", "10"],
        "standalone",
      ],
      {
        CHRONIK_GROUP_CONSUMER_SESSION_TIMEOUT_MS: "6000",
        CHRONIK_GROUP_CONSUMER_MIN_SESSION_TIMEOUT_MS: "3000",
        CHRONIK_GROUP_CONSUMER_MAX_SESSION_TIMEOUT_MS: "7000",
        CHRONIK_GROUP_CONSUMER_MAX_HEARTBEAT_INTERVAL_MS: "900",
      },
    );
    expect(config.groups.consumer).toEqual({
      heartbeatIntervalMs: 500,
      heartbeatIntervalMsMin: 200,
      heartbeatIntervalMsMax: 900,
      sessionTimeoutMs: 6000,
      sessionTimeoutMsMin: 3000,
      sessionTimeoutMsMax: 7000,
      groupMaxSize: 10,
    });
    expect(errorOf(["--group-consumer-heartbeat-interval-ms", "5", "standalone"])).toBe(
      '--group-consumer-heartbeat-interval-ms: "5" is not allowed; expected an integer from 100 to 3600000',
    );
  });

  test("the classic group settings can be set, by flag or environment", () => {
    const config = run(
      ["--group-initial-rebalance-delay-ms", "0", "--group-min-session-timeout-ms", "1000", "standalone"],
      { CHRONIK_GROUP_MAX_SESSION_TIMEOUT_MS: "20000", CHRONIK_GROUP_MAX_SIZE: "3" },
    );
    expect(config.groups.classic).toEqual({
      initialRebalanceDelayMs: 0,
      sessionTimeoutMsMin: 1000,
      sessionTimeoutMsMax: 20000,
      groupMaxSize: 3,
    });
    expect(errorOf(["--group-initial-rebalance-delay-ms", "-1", "standalone"])).toBe(
      '--group-initial-rebalance-delay-ms: "-1" is not allowed; expected an integer from 0 to 3600000',
    );
    expect(errorOf(["standalone"], { CHRONIK_GROUP_MAX_SIZE: "0" })).toBe(
      'CHRONIK_GROUP_MAX_SIZE: "0" is not allowed; expected an integer from 1 to 2147483647',
    );
  });

  test("group bounds that contradict each other stop start-up, as Kafka's do", () => {
    expect(
      errorOf([
        "--group-min-session-timeout-ms",
        "40000",
        "--group-max-session-timeout-ms",
        "30000",
        "standalone",
      ]),
    ).toBe("--group-min-session-timeout-ms (40000) must be at most --group-max-session-timeout-ms (30000)");
    // Kafka's default minimum heartbeat interval is 5 s: a faster one must lower it too.
    expect(errorOf(["--group-consumer-heartbeat-interval-ms", "500", "standalone"])).toBe(
      "--group-consumer-min-heartbeat-interval-ms (5000) must be at most --group-consumer-heartbeat-interval-ms (500)",
    );
    expect(errorOf(["--group-consumer-session-timeout-ms", "70000", "standalone"])).toBe(
      "--group-consumer-session-timeout-ms (70000) must be at most --group-consumer-max-session-timeout-ms (60000)",
    );
    expect(
      errorOf([
        ...["--group-consumer-heartbeat-interval-ms", "6000", "--group-consumer-session-timeout-ms", "6000"],
        ...["--group-consumer-min-session-timeout-ms", "6000"],
        "standalone",
      ]),
    ).toBe(
      "--group-consumer-heartbeat-interval-ms (6000) must be less than --group-consumer-session-timeout-ms (6000)",
    );
  });

  test("raft-cluster reads its address, peers and bootstrap switch", () => {
    const config = run(["--node-id", "1", "raft-cluster", "--raft-addr", "0.0.0.0:9192", "--bootstrap"], {
      CHRONIK_RAFT_PEERS: "2@host2:9292, 3@host3:9392",
    });
    expect(config.raft).toEqual({
      bindHost: "0.0.0.0",
      port: 9192,
      bootstrap: true,
      peers: [
        { nodeId: 2, host: "host2", port: 9292 },
        { nodeId: 3, host: "host3", port: 9392 },
      ],
      leaderBalance: { autoRebalance: true, imbalancePercentPerBroker: 10, checkIntervalMs: 30_000 },
    });
  });

  test("raft-cluster reads Kafka's leader balance settings, from flags or the environment", () => {
    const config = run(
      [
        ...["raft-cluster", "--raft-addr", "0.0.0.0:9192", "--auto-leader-rebalance-enable", "false"],
        ...["--leader-imbalance-check-interval-seconds", "2"],
      ],
      { CHRONIK_LEADER_IMBALANCE_PER_BROKER_PERCENTAGE: "0" },
    );
    expect(config.raft?.leaderBalance).toEqual({
      autoRebalance: false,
      imbalancePercentPerBroker: 0,
      checkIntervalMs: 2_000,
    });
    expect(errorOf(["raft-cluster", "--leader-imbalance-per-broker-percentage", "101"])).toBe(
      '--leader-imbalance-per-broker-percentage: "101" is not allowed; expected an integer from 0 to 100',
    );
    expect(errorOf(["raft-cluster", "--leader-imbalance-check-interval-seconds", "0"])).toContain(
      "expected an integer from 1 to 86400",
    );
    expect(errorOf(["--auto-leader-rebalance-enable", "true", "standalone"])).toBe(
      "option --auto-leader-rebalance-enable applies only to raft-cluster",
    );
  });

  test("bad values name the option, the value and what is allowed", () => {
    expect(errorOf(["--kafka-port", "99999", "standalone"])).toBe(
      '--kafka-port: "99999" is not allowed; expected a port from 1 to 65535',
    );
    expect(errorOf(["standalone"], { CHRONIK_ADVERTISED_ADDR: "0.0.0.0" })).toStartWith(
      'CHRONIK_ADVERTISED_ADDR: "0.0.0.0" is not allowed',
    );
    expect(errorOf(["--log-level", "loud", "standalone"])).toContain("debug, info, warn, error");
    expect(errorOf(["raft-cluster", "--peers", "2@h:1,2@g:2"])).toContain("appears twice");
    expect(errorOf(["raft-cluster", "--peers", "h:1"])).toStartWith('--peers: "h:1" is not allowed');
  });

  test("ACLs are enforced only with --authorizer acl, as Kafka only with authorizer.class.name", () => {
    expect(run(["standalone"]).authorization).toEqual({
      enabled: false,
      superUsers: [],
      allowEveryoneIfNoAclFound: false,
    });
    const configured = run([
      "--authorizer",
      "acl",
      "--super-users",
      "User:admin; User:ops",
      "--allow-everyone-if-no-acl-found",
      "true",
      "standalone",
    ]);
    expect(configured.authorization).toEqual({
      enabled: true,
      superUsers: ["User:admin", "User:ops"],
      allowEveryoneIfNoAclFound: true,
    });
    expect(run(["standalone"], { CHRONIK_AUTHORIZER: "acl" }).authorization.enabled).toBe(true);
    expect(errorOf(["--super-users", "admin", "standalone"])).toStartWith(
      '--super-users: "admin" is not allowed',
    );
    expect(errorOf(["--authorizer", "kafka", "standalone"])).toContain("none, acl");
  });

  test("--admin-token comes from the flag or CHRONIK_ADMIN_TOKEN; without either the admin API is open", () => {
    expect(run(["standalone"]).adminToken).toBeNull();
    expect(run(["standalone"], { CHRONIK_ADMIN_TOKEN: "from-the-env" }).adminToken).toBe("from-the-env");
    expect(
      run(["--admin-token", "from-a-flag", "standalone"], { CHRONIK_ADMIN_TOKEN: "env" }).adminToken,
    ).toBe("from-a-flag");
    expect(errorOf(["--admin-token", "short", "standalone"])).toBe(
      '--admin-token: "short" is not allowed; expected 8 to 4096 printable characters without spaces',
    );
  });

  test("usage mistakes are one-line errors", () => {
    expect(errorOf([])).toContain("no command given");
    expect(errorOf(["serve"])).toContain('unknown command "serve"');
    expect(errorOf(["--frob", "standalone"])).toBe("unknown option --frob (see --help)");
    expect(errorOf(["standalone", "--kafka-port"])).toBe("option --kafka-port needs a value");
    expect(errorOf(["standalone", "--bootstrap"])).toBe("option --bootstrap applies only to raft-cluster");
    expect(errorOf(["standalone", "raft-cluster"])).toContain("two commands");
    expect(errorOf(["--node-id", "1", "--node-id", "2", "standalone"])).toContain("given twice");
    for (const message of [errorOf([]), errorOf(["--kafka-port", "x", "standalone"])]) {
      expect(message).not.toContain("\n");
    }
  });

  test("--help lists every option and its environment variable", () => {
    expect(parseCommandLine(["standalone", "--help"], {}).kind).toBe("help");
    const text = helpText();
    for (const spec of Object.values(optionSpecs)) {
      expect(text).toContain(`--${spec.flag}`);
      expect(text).toContain(spec.env);
    }
  });
});
