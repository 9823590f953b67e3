// The records of the cluster metadata log. The metadata Raft group replicates these; every node applies them
// in order to the same MetadataState. Plain data (JSON in the log's record values): readable in a dump,
// versioned by adding fields with defaults, never by changing a field's meaning.

import type { AclBinding } from "../acls/acl-model.ts";

export interface PartitionAssignment {
  /** Node ids holding a replica, the preferred leader first. */
  replicas: number[];
}

/** One of a broker's Kafka listeners as clients are told to reach it (Kafka's BrokerRegistration endpoint). */
export interface BrokerListener {
  /** The listener name, e.g. PLAINTEXT or CLIENT: Metadata answers each client with its own listener's. */
  name: string;
  host: string;
  port: number;
  /** PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL. */
  securityProtocol: string;
}

export type MetadataRecord =
  | { type: "cluster-id"; clusterId: string }
  | {
      type: "broker";
      nodeId: number;
      host: string;
      port: number;
      rack: string | null;
      /**
       * The registering node's incarnation: the id written once in its data directory (KRaft's directory id,
       * KIP-853). A node restarted over a new data directory registers again under a new one. Absent in records
       * written before incarnations were recorded.
       */
      incarnationId?: string;
      /**
       * Every listener, advertised; `host` and `port` repeat the first. Absent in records written before
       * listeners were registered: such a broker is reachable on every listener name at `host`:`port`.
       */
      listeners?: BrokerListener[];
    }
  /**
   * The controller's word on a registered broker's liveness (KRaft's BrokerRegistrationChange fencing): a fenced
   * broker stopped heartbeating, gets no new replicas and is shown offline; a registration starts unfenced.
   */
  | { type: "broker-fencing"; nodeId: number; fenced: boolean }
  | {
      type: "topic";
      name: string;
      topicId: string;
      partitions: PartitionAssignment[];
      /** Topic-level overrides only; defaults come from the broker. */
      configs: Record<string, string>;
    }
  | { type: "remove-topic"; topicId: string }
  | { type: "add-partitions"; topicId: string; partitions: PartitionAssignment[] }
  /** Sets (string) or removes (null) topic-level config overrides. */
  | { type: "topic-configs"; topicId: string; changes: Record<string, string | null> }
  /**
   * Sets (string) or removes (null) a group's configs (KIP-848's GROUP config resource). A group's configs live
   * apart from the group itself, as Kafka's do: they may be set before the group exists and outlive it.
   */
  | { type: "group-configs"; groupId: string; changes: Record<string, string | null> }
  /**
   * Sets (string) or removes (null) dynamic broker configs (Kafka's BROKER config resource): `broker` is a node
   * id in decimal, or "" for the cluster-wide default every broker inherits unless it has its own.
   */
  | { type: "broker-configs"; broker: string; changes: Record<string, string | null> }
  /**
   * Sets (number) or removes (null) client quotas (KIP-546) of one entity: entity type ("user", "client-id",
   * "ip") to name, null naming the type's default.
   */
  | { type: "client-quotas"; entity: Record<string, string | null>; changes: Record<string, number | null> }
  /** Producer ids below `nextProducerId` are handed out: ids never repeat, even across restarts. */
  | { type: "producer-ids"; nextProducerId: number }
  /** An ACL created (CreateAcls); identical bindings are one ACL, so a binding is its own identity. */
  | { type: "acl"; binding: AclBinding }
  /** An ACL deleted (DeleteAcls). */
  | { type: "remove-acl"; binding: AclBinding }
  /**
   * A user's SCRAM credential for one mechanism (Kafka's UserScramCredentialRecord): the salt, the iteration
   * count and the two keys derived from the salted password (RFC 5802), base64. Never the password.
   */
  | ({ type: "scram-credential" } & ScramCredential)
  | { type: "remove-scram-credential"; user: string; mechanism: ScramMechanism };

export type ScramMechanism = "SCRAM-SHA-256" | "SCRAM-SHA-512";

export interface ScramCredential {
  user: string;
  mechanism: ScramMechanism;
  salt: string;
  storedKey: string;
  serverKey: string;
  iterations: number;
}

export type MetadataRecordType = MetadataRecord["type"];

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeMetadataRecord(record: MetadataRecord): Uint8Array {
  return encoder.encode(JSON.stringify(record));
}

export function decodeMetadataRecord(bytes: Uint8Array): MetadataRecord {
  return JSON.parse(decoder.decode(bytes)) as MetadataRecord;
}
