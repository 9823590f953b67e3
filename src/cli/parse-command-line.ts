// Turns argv and the environment into a validated ServerConfig, or a one-line error naming the problem.
// Precedence: a flag beats its environment variable, which beats the default. Pure: no process access here.

import * as v from "valibot";
import { type ServerConfig, type ServerMode, usesTls } from "../app/server-config.ts";
import { ListenerSettingError, resolveListeners } from "./listeners.ts";
import { type OptionName, type OptionSpec, type OptionValues, optionSpecs } from "./options.ts";

export type CommandLineResult =
  | { kind: "run"; config: ServerConfig }
  | { kind: "help" }
  | { kind: "version" }
  | { kind: "error"; message: string };

const modes: readonly ServerMode[] = ["standalone", "raft-cluster"];
const optionNames = Object.keys(optionSpecs) as OptionName[];
const specByFlag = new Map<string, [OptionName, OptionSpec<unknown>]>(
  optionNames.map((name) => [optionSpecs[name].flag, [name, optionSpecs[name]]]),
);

class UsageError extends Error {}

interface RawArguments {
  mode: ServerMode | null;
  flagTexts: Map<OptionName, string>;
  wantsHelp: boolean;
  wantsVersion: boolean;
}

function splitArguments(argv: readonly string[]): RawArguments {
  const raw: RawArguments = { mode: null, flagTexts: new Map(), wantsHelp: false, wantsVersion: false };
  for (let index = 0; index < argv.length; index++) {
    const token = argv[index]!;
    if (token === "--help" || token === "-h") raw.wantsHelp = true;
    else if (token === "--version") raw.wantsVersion = true;
    else if (token.startsWith("--")) index = readFlag(argv, index, raw);
    else if ((modes as readonly string[]).includes(token)) {
      if (raw.mode !== null) throw new UsageError(`two commands given: ${raw.mode} and ${token}`);
      raw.mode = token as ServerMode;
    } else throw new UsageError(`unknown command "${token}"; expected one of: ${modes.join(", ")}`);
  }
  return raw;
}

/** Reads the flag at argv[index] and its value; returns the index of the last token consumed. */
function readFlag(argv: readonly string[], index: number, raw: RawArguments): number {
  const token = argv[index]!;
  const equals = token.indexOf("=");
  const flag = token.slice(2, equals === -1 ? undefined : equals);
  const entry = specByFlag.get(flag);
  if (!entry) throw new UsageError(`unknown option --${flag} (see --help)`);
  const [name, spec] = entry;
  if (raw.flagTexts.has(name)) throw new UsageError(`option --${flag} given twice`);
  if (equals !== -1) {
    raw.flagTexts.set(name, token.slice(equals + 1));
    return index;
  }
  if (spec.isSwitch) {
    raw.flagTexts.set(name, "true");
    return index;
  }
  const value = argv[index + 1];
  if (value === undefined || value.startsWith("--")) throw new UsageError(`option --${flag} needs a value`);
  raw.flagTexts.set(name, value);
  return index + 1;
}

function resolveOption<N extends OptionName>(
  name: N,
  flagTexts: Map<OptionName, string>,
  env: Readonly<Record<string, string | undefined>>,
): OptionValues[N] | undefined {
  const spec: OptionSpec<unknown> = optionSpecs[name];
  const fromFlag = flagTexts.get(name);
  const fromEnv = env[spec.env];
  const text = fromFlag ?? (fromEnv !== undefined && fromEnv !== "" ? fromEnv : spec.defaultText);
  if (text === "") return undefined;
  const result = v.safeParse(spec.schema, text);
  if (!result.success) {
    const source =
      fromFlag !== undefined ? `--${spec.flag}` : fromEnv ? spec.env : `default of --${spec.flag}`;
    throw new UsageError(`${source}: ${JSON.stringify(text)} is not allowed; expected ${spec.allowed}`);
  }
  return result.output as OptionValues[N];
}

function resolveAll(raw: RawArguments, env: Readonly<Record<string, string | undefined>>) {
  const values = {} as { [K in OptionName]: OptionValues[K] | undefined };
  for (const name of optionNames) {
    (values as Record<OptionName, unknown>)[name] = resolveOption(name, raw.flagTexts, env);
  }
  return values;
}

function buildConfig(mode: ServerMode, values: ReturnType<typeof resolveAll>): ServerConfig {
  const required: Required = <T>(value: T | undefined, name: OptionName): T => {
    if (value === undefined) throw new UsageError(`--${optionSpecs[name].flag} is required`);
    return value;
  };
  const kafkaPort = required(values.kafkaPort, "kafkaPort");
  const nodeId = required(values.nodeId, "nodeId");
  const bindHost = required(values.bindAddr, "bindAddr");
  const advertisedHost = required(values.advertisedAddr, "advertisedAddr");
  const listeners = buildListeners(values, {
    bindHost,
    kafkaPort,
    advertisedHost,
    advertisedPort: values.advertisedPort ?? kafkaPort,
  });
  const first = listeners[0]!;
  return {
    mode,
    nodeId,
    dataDir: required(values.dataDir, "dataDir"),
    kafkaBindHost: first.bindHost,
    kafkaPort: first.port,
    advertisedHost: first.advertisedHost,
    advertisedPort: first.advertisedPort,
    listeners,
    security: buildSecurity(values, listeners),
    rack: values.rack ?? null,
    fetchFromFollowers: required(values.fetchFromFollowers, "fetchFromFollowers"),
    httpBindHost: bindHost,
    httpPort: required(values.httpPort, "httpPort"),
    adminToken: values.adminToken ?? null,
    authorization: {
      enabled: required(values.authorizer, "authorizer") === "acl",
      superUsers: values.superUsers ?? [],
      allowEveryoneIfNoAclFound: required(values.allowEveryoneIfNoAclFound, "allowEveryoneIfNoAclFound"),
    },
    logLevel: required(values.logLevel, "logLevel"),
    logFormat: required(values.logFormat, "logFormat"),
    broker: {
      autoCreateTopics: required(values.autoCreateTopics, "autoCreateTopics"),
      numPartitions: required(values.numPartitions, "numPartitions"),
      defaultReplicationFactor: required(values.defaultReplicationFactor, "defaultReplicationFactor"),
      messageMaxBytes: required(values.messageMaxBytes, "messageMaxBytes"),
      logCleanerBackoffMs: required(values.logCleanerBackoffMs, "logCleanerBackoffMs"),
      logCleanerIoMaxBytesPerSecond: required(
        values.logCleanerIoMaxBytesPerSecond,
        "logCleanerIoMaxBytesPerSecond",
      ),
    },
    groups: buildGroupSettings(values, required),
    raft: mode === "raft-cluster" ? buildRaftConfig(nodeId, values) : null,
  };
}

type Required = <T>(value: T | undefined, name: OptionName) => T;

/** --listeners in Kafka's form, or one PLAINTEXT listener from --kafka-port and --advertised-addr. */
function buildListeners(
  values: ReturnType<typeof resolveAll>,
  short: { bindHost: string; kafkaPort: number; advertisedHost: string; advertisedPort: number },
): ServerConfig["listeners"] {
  if (values.listeners === undefined) {
    if (values.advertisedListeners !== undefined)
      throw new UsageError("--advertised-listeners needs --listeners");
    return [
      {
        name: "PLAINTEXT",
        securityProtocol: "PLAINTEXT",
        bindHost: short.bindHost,
        port: short.kafkaPort,
        advertisedHost: short.advertisedHost,
        advertisedPort: short.advertisedPort,
      },
    ];
  }
  try {
    return resolveListeners({
      listeners: values.listeners,
      advertisedListeners: values.advertisedListeners,
      protocolMap: values.listenerSecurityProtocolMap,
      defaultBindHost: short.bindHost,
      defaultAdvertisedHost: short.advertisedHost,
    });
  } catch (error) {
    if (error instanceof ListenerSettingError) throw new UsageError(error.message);
    throw error;
  }
}

function buildSecurity(
  values: ReturnType<typeof resolveAll>,
  listeners: ServerConfig["listeners"],
): ServerConfig["security"] {
  const tlsListener = listeners.find((listener) => usesTls(listener.securityProtocol));
  const { tlsCert, tlsKey, tlsClientCa } = values;
  if (tlsListener !== undefined && (tlsCert === undefined || tlsKey === undefined)) {
    throw new UsageError(`listener ${tlsListener.name} uses TLS: --tls-cert and --tls-key are required`);
  }
  if ((tlsCert === undefined) !== (tlsKey === undefined)) {
    throw new UsageError("--tls-cert and --tls-key go together");
  }
  if (tlsClientCa !== undefined && tlsCert === undefined)
    throw new UsageError("--tls-client-ca needs --tls-cert");
  return {
    tls:
      tlsCert === undefined || tlsKey === undefined
        ? null
        : { certFile: tlsCert, keyFile: tlsKey, clientCaFile: tlsClientCa ?? null },
    saslUsersFile: values.saslUsers ?? null,
    reauthMsMax: values.connectionsMaxReauthMs ?? 0,
    clusterSecret: values.clusterSecret ?? null,
  };
}

function buildGroupSettings(
  values: ReturnType<typeof resolveAll>,
  required: Required,
): ServerConfig["groups"] {
  const groups: ServerConfig["groups"] = {
    classic: {
      initialRebalanceDelayMs: required(values.groupInitialRebalanceDelayMs, "groupInitialRebalanceDelayMs"),
      sessionTimeoutMsMin: required(values.groupMinSessionTimeoutMs, "groupMinSessionTimeoutMs"),
      sessionTimeoutMsMax: required(values.groupMaxSessionTimeoutMs, "groupMaxSessionTimeoutMs"),
      groupMaxSize: required(values.groupMaxSize, "groupMaxSize"),
    },
    consumer: {
      heartbeatIntervalMs: required(
        values.groupConsumerHeartbeatIntervalMs,
        "groupConsumerHeartbeatIntervalMs",
      ),
      heartbeatIntervalMsMin: required(
        values.groupConsumerMinHeartbeatIntervalMs,
        "groupConsumerMinHeartbeatIntervalMs",
      ),
      heartbeatIntervalMsMax: required(
        values.groupConsumerMaxHeartbeatIntervalMs,
        "groupConsumerMaxHeartbeatIntervalMs",
      ),
      sessionTimeoutMs: required(values.groupConsumerSessionTimeoutMs, "groupConsumerSessionTimeoutMs"),
      sessionTimeoutMsMin: required(
        values.groupConsumerMinSessionTimeoutMs,
        "groupConsumerMinSessionTimeoutMs",
      ),
      sessionTimeoutMsMax: required(
        values.groupConsumerMaxSessionTimeoutMs,
        "groupConsumerMaxSessionTimeoutMs",
      ),
      groupMaxSize: required(values.groupConsumerMaxSize, "groupConsumerMaxSize"),
    },
  };
  checkGroupBounds(groups);
  return groups;
}

/**
 * The orderings Kafka's GroupCoordinatorConfig requires at start-up (min ≤ value ≤ max, heartbeat below session),
 * plus min ≤ max for the classic session timeouts, which Kafka leaves unchecked though no JoinGroup could pass.
 */
function checkGroupBounds({ classic, consumer }: ServerConfig["groups"]): void {
  const orderings: Array<[number, OptionName, "≤" | "<", number, OptionName]> = [
    [
      classic.sessionTimeoutMsMin,
      "groupMinSessionTimeoutMs",
      "≤",
      classic.sessionTimeoutMsMax,
      "groupMaxSessionTimeoutMs",
    ],
    [
      consumer.heartbeatIntervalMsMin,
      "groupConsumerMinHeartbeatIntervalMs",
      "≤",
      consumer.heartbeatIntervalMs,
      "groupConsumerHeartbeatIntervalMs",
    ],
    [
      consumer.heartbeatIntervalMs,
      "groupConsumerHeartbeatIntervalMs",
      "≤",
      consumer.heartbeatIntervalMsMax,
      "groupConsumerMaxHeartbeatIntervalMs",
    ],
    [
      consumer.sessionTimeoutMsMin,
      "groupConsumerMinSessionTimeoutMs",
      "≤",
      consumer.sessionTimeoutMs,
      "groupConsumerSessionTimeoutMs",
    ],
    [
      consumer.sessionTimeoutMs,
      "groupConsumerSessionTimeoutMs",
      "≤",
      consumer.sessionTimeoutMsMax,
      "groupConsumerMaxSessionTimeoutMs",
    ],
    [
      consumer.heartbeatIntervalMs,
      "groupConsumerHeartbeatIntervalMs",
      "<",
      consumer.sessionTimeoutMs,
      "groupConsumerSessionTimeoutMs",
    ],
  ];
  for (const [low, lowName, relation, high, highName] of orderings) {
    if (relation === "≤" ? low <= high : low < high) continue;
    const flag = (name: OptionName) => `--${optionSpecs[name].flag}`;
    const words = relation === "≤" ? "at most" : "less than";
    throw new UsageError(`${flag(lowName)} (${low}) must be ${words} ${flag(highName)} (${high})`);
  }
}

function buildRaftConfig(nodeId: number, values: ReturnType<typeof resolveAll>): ServerConfig["raft"] {
  const address = values.raftAddr;
  if (!address) throw new UsageError("--raft-addr is required for raft-cluster");
  const peers = values.peers ?? [];
  const ids = new Set<number>([nodeId]);
  for (const peer of peers) {
    if (peer.nodeId === nodeId) {
      throw new UsageError(`--peers: node id ${nodeId} is this node (--node-id); list only the other nodes`);
    }
    if (ids.has(peer.nodeId)) {
      throw new UsageError(`--peers: node id ${peer.nodeId} appears twice (this node is ${nodeId})`);
    }
    ids.add(peer.nodeId);
  }
  return {
    bindHost: address.host,
    port: address.port,
    peers,
    bootstrap: values.bootstrap ?? false,
    leaderBalance: {
      autoRebalance: values.autoLeaderRebalanceEnable ?? true,
      imbalancePercentPerBroker: values.leaderImbalancePerBrokerPercentage ?? 10,
      checkIntervalMs: (values.leaderImbalanceCheckIntervalSeconds ?? 30) * 1000,
    },
  };
}

function checkScope(mode: ServerMode, flagTexts: Map<OptionName, string>): void {
  if (mode === "raft-cluster") return;
  for (const name of flagTexts.keys()) {
    const spec: OptionSpec<unknown> = optionSpecs[name];
    if (spec.scope === "raft-cluster")
      throw new UsageError(`option --${spec.flag} applies only to raft-cluster`);
  }
}

export function parseCommandLine(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): CommandLineResult {
  try {
    const raw = splitArguments(argv);
    if (raw.wantsHelp) return { kind: "help" };
    if (raw.wantsVersion) return { kind: "version" };
    if (raw.mode === null) throw new UsageError(`no command given; expected one of: ${modes.join(", ")}`);
    checkScope(raw.mode, raw.flagTexts);
    return { kind: "run", config: buildConfig(raw.mode, resolveAll(raw, env)) };
  } catch (error) {
    if (error instanceof UsageError) return { kind: "error", message: error.message };
    throw error;
  }
}
