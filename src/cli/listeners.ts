// Kafka's listener settings: listeners ("PLAINTEXT://:9092,SASL_SSL://0.0.0.0:9093"), advertised.listeners (the
// same names, addresses clients can reach) and listener.security.protocol.map ("CLIENT:SASL_SSL,REPL:SSL"),
// which names the security protocol of each listener; the four protocol names map to themselves unless the map
// says otherwise. Pure: turns the texts into listener configs or throws a one-line error.

import type { KafkaListenerConfig, SecurityProtocol } from "../app/server-config.ts";

export const securityProtocols: readonly SecurityProtocol[] = [
  "PLAINTEXT",
  "SSL",
  "SASL_PLAINTEXT",
  "SASL_SSL",
];

export class ListenerSettingError extends Error {}

interface ListenerAddress {
  name: string;
  /** Empty when the text leaves it out ("PLAINTEXT://:9092"). */
  host: string;
  port: number;
}

const listenerPattern = /^([A-Za-z0-9_]+):\/\/(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]*):(\d{1,5})$/;

/** "NAME://host:port,…" as a list; names unique, ports 0–65535 (0 only where `allowPortZero`). */
export function parseListenerList(
  text: string,
  what: string,
  options: { portMin: number },
): ListenerAddress[] {
  const parts = text
    .split(",")
    .map((part) => part.trim())
    .filter((part) => part !== "");
  if (parts.length === 0) throw new ListenerSettingError(`${what}: no listener given`);
  const listeners = parts.map((part) => {
    const match = listenerPattern.exec(part);
    if (match === null) {
      throw new ListenerSettingError(`${what}: ${JSON.stringify(part)} is not NAME://host:port`);
    }
    const port = Number(match[3]);
    if (port < options.portMin || port > 65535) {
      throw new ListenerSettingError(
        `${what}: port ${port} of ${match[1]} is not from ${options.portMin} to 65535`,
      );
    }
    return { name: match[1]!.toUpperCase(), host: match[2]!, port };
  });
  const names = new Set<string>();
  for (const listener of listeners) {
    if (names.has(listener.name))
      throw new ListenerSettingError(`${what}: listener ${listener.name} appears twice`);
    names.add(listener.name);
  }
  return listeners;
}

/** "NAME:PROTOCOL,…" over the identity map of the four protocol names. */
export function parseSecurityProtocolMap(text: string | undefined): Map<string, SecurityProtocol> {
  const map = new Map<string, SecurityProtocol>(securityProtocols.map((protocol) => [protocol, protocol]));
  if (text === undefined) return map;
  for (const part of text.split(",").map((entry) => entry.trim())) {
    if (part === "") continue;
    const [name, protocol, extra] = part.split(":");
    const upper = protocol?.toUpperCase();
    if (!name || extra !== undefined || !securityProtocols.includes(upper as SecurityProtocol)) {
      throw new ListenerSettingError(
        `--listener-security-protocol-map: ${JSON.stringify(part)} is not NAME:PROTOCOL with PROTOCOL one of ${securityProtocols.join(", ")}`,
      );
    }
    map.set(name.toUpperCase(), upper as SecurityProtocol);
  }
  return map;
}

export interface ListenerSettings {
  listeners: string;
  advertisedListeners: string | undefined;
  protocolMap: string | undefined;
  /** Where a listener without a host binds (--bind-addr). */
  defaultBindHost: string;
  /** What a listener without an advertised host advertises (--advertised-addr). */
  defaultAdvertisedHost: string;
}

const wildcardHosts = new Set(["", "0.0.0.0", "::", "[::]"]);

/** The listeners, each with its protocol and the address it advertises, in the order given. */
export function resolveListeners(settings: ListenerSettings): KafkaListenerConfig[] {
  const protocols = parseSecurityProtocolMap(settings.protocolMap);
  const bound = parseListenerList(settings.listeners, "--listeners", { portMin: 1 });
  const advertised =
    settings.advertisedListeners === undefined
      ? undefined
      : parseListenerList(settings.advertisedListeners, "--advertised-listeners", { portMin: 1 });
  for (const listener of advertised ?? []) {
    if (!bound.some((candidate) => candidate.name === listener.name)) {
      throw new ListenerSettingError(`--advertised-listeners: ${listener.name} is not one of --listeners`);
    }
  }
  const ports = new Set<number>();
  return bound.map((listener) => {
    const securityProtocol = protocols.get(listener.name);
    if (securityProtocol === undefined) {
      throw new ListenerSettingError(
        `--listeners: ${listener.name} has no security protocol; name it in --listener-security-protocol-map`,
      );
    }
    if (ports.has(listener.port))
      throw new ListenerSettingError(`--listeners: port ${listener.port} is used twice`);
    ports.add(listener.port);
    const shown = advertised?.find((candidate) => candidate.name === listener.name);
    const advertisedHost = shown !== undefined && !wildcardHosts.has(shown.host) ? shown.host : undefined;
    return {
      name: listener.name,
      securityProtocol,
      bindHost: listener.host === "" ? settings.defaultBindHost : listener.host,
      port: listener.port,
      advertisedHost:
        advertisedHost ?? (wildcardHosts.has(listener.host) ? settings.defaultAdvertisedHost : listener.host),
      advertisedPort: shown?.port ?? listener.port,
    };
  });
}
