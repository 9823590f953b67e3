// The cluster metadata as a state machine: topics, their partitions and config overrides, brokers, ACLs, group
// configs, the cluster id, and the producer-id high mark. apply() is the only way it changes, one record at a time in log
// order, so every node that applies the same log holds the same state. Records were validated before they were
// proposed; one that does not fit the state here is a bug, and asserts.

import { assert, unreachable } from "../../base/assert.ts";
import { AclTable } from "../acls/acl-table.ts";
import type {
  BrokerListener,
  MetadataRecord,
  PartitionAssignment,
  ScramCredential,
  ScramMechanism,
} from "./metadata-records.ts";

export interface TopicMetadata {
  readonly name: string;
  readonly topicId: string;
  readonly partitions: readonly PartitionAssignment[];
  readonly configs: ReadonlyMap<string, string>;
}

export interface BrokerMetadata {
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
  readonly rack: string | null;
  /** The incarnation it registered under (metadata-records.ts); null if it registered before they were kept. */
  readonly incarnationId: string | null;
  /** Stopped heartbeating to the controller: offline to clients, no new replicas (metadata-records.ts). */
  readonly fenced: boolean;
  /** Its advertised listeners; empty for a registration older than listeners (metadata-records.ts). */
  readonly listeners: readonly BrokerListener[];
}

const noConfigs: ReadonlyMap<string, string> = new Map();

/** One entity's client quotas: entity type to name (null: the type's default), quota name to value. */
export interface ClientQuotaEntry {
  readonly entity: Readonly<Record<string, string | null>>;
  readonly quotas: ReadonlyMap<string, number>;
}

/** One key per entity, whatever the order its types were named in. */
export function entityKey(entity: Readonly<Record<string, string | null>>): string {
  return JSON.stringify(
    Object.keys(entity)
      .sort()
      .map((type) => [type, entity[type]]),
  );
}

export class MetadataState {
  clusterId: string | null = null;
  nextProducerId = 0;
  /** The cluster's ACLs (CreateAcls, DeleteAcls), which the authorizer reads. */
  readonly acls = new AclTable();
  private readonly topicsByName = new Map<string, TopicMetadata>();
  private readonly topicsById = new Map<string, TopicMetadata>();
  private readonly brokersById = new Map<number, BrokerMetadata>();
  /** Groups with configs set, and only those: a map is replaced on every change, never edited in place. */
  private readonly groupConfigsById = new Map<string, ReadonlyMap<string, string>>();
  /** SCRAM credentials by user, then mechanism: users with none are absent. */
  private readonly scramCredentialsByUser = new Map<string, Map<ScramMechanism, ScramCredential>>();

  scramCredential(user: string, mechanism: ScramMechanism): ScramCredential | undefined {
    return this.scramCredentialsByUser.get(user)?.get(mechanism);
  }

  /** Every user with a SCRAM credential, and theirs. */
  scramUsers(): ReadonlyMap<string, ReadonlyMap<ScramMechanism, ScramCredential>> {
    return this.scramCredentialsByUser;
  }
  /** Dynamic broker configs by broker id ("" for the cluster default), kept as group configs are. */
  private readonly brokerConfigsByName = new Map<string, ReadonlyMap<string, string>>();
  /** Client quotas by entity key (client-quotas.ts entityKey); an entity is dropped with its last quota. */
  private readonly clientQuotasByEntity = new Map<string, ClientQuotaEntry>();

  topicByName(name: string): TopicMetadata | undefined {
    return this.topicsByName.get(name);
  }

  topicById(topicId: string): TopicMetadata | undefined {
    return this.topicsById.get(topicId);
  }

  topics(): IterableIterator<TopicMetadata> {
    return this.topicsByName.values();
  }

  brokers(): IterableIterator<BrokerMetadata> {
    return this.brokersById.values();
  }

  /** Registered brokers that are not fenced: the ones clients are told of and new replicas go to. */
  liveBrokers(): BrokerMetadata[] {
    return [...this.brokersById.values()].filter((broker) => !broker.fenced);
  }

  broker(nodeId: number): BrokerMetadata | undefined {
    return this.brokersById.get(nodeId);
  }

  /** A group's config overrides (empty when none is set). */
  groupConfigs(groupId: string): ReadonlyMap<string, string> {
    return this.groupConfigsById.get(groupId) ?? noConfigs;
  }

  /**
   * Whether the state already holds what these records would change, by identity rather than by effect: a
   * topic with the record's topic id, a removed topic's id gone, config values as the records set them. Records
   * of other kinds never count as held. The metadata service asks it of a change whose forward went unanswered.
   */
  reflects(records: readonly MetadataRecord[]): boolean {
    return records.length > 0 && records.every((record) => this.reflectsOne(record));
  }

  private reflectsOne(record: MetadataRecord): boolean {
    switch (record.type) {
      case "topic":
        return this.topicById(record.topicId)?.name === record.name;
      case "remove-topic":
        return this.topicById(record.topicId) === undefined;
      case "topic-configs": {
        const topic = this.topicById(record.topicId);
        return topic !== undefined && sameConfigs(topic.configs, record.changes);
      }
      case "group-configs":
        return sameConfigs(this.groupConfigs(record.groupId), record.changes);
      default:
        return false;
    }
  }

  /** A broker's dynamic configs (`broker` a node id, or "" for the cluster default); empty when none is set. */
  brokerConfigs(broker: string): ReadonlyMap<string, string> {
    return this.brokerConfigsByName.get(broker) ?? noConfigs;
  }

  /** Every entity with client quotas set. */
  clientQuotas(): IterableIterator<ClientQuotaEntry> {
    return this.clientQuotasByEntity.values();
  }

  /** The quotas of one entity (by entityKey); undefined when it has none. */
  clientQuotasOf(key: string): ClientQuotaEntry | undefined {
    return this.clientQuotasByEntity.get(key);
  }

  apply(record: MetadataRecord): void {
    switch (record.type) {
      case "cluster-id":
        assert(this.clusterId === null || this.clusterId === record.clusterId, "cluster id changes");
        this.clusterId = record.clusterId;
        return;
      case "broker":
        this.brokersById.set(record.nodeId, {
          nodeId: record.nodeId,
          host: record.host,
          port: record.port,
          rack: record.rack,
          incarnationId: record.incarnationId ?? null,
          fenced: false,
          listeners: record.listeners?.map((listener) => ({ ...listener })) ?? [],
        });
        return;
      case "broker-fencing": {
        const broker = this.brokersById.get(record.nodeId);
        assert(broker !== undefined, `fencing unregistered broker ${record.nodeId}`);
        this.brokersById.set(record.nodeId, { ...broker, fenced: record.fenced });
        return;
      }
      case "topic":
        this.addTopic(record);
        return;
      case "remove-topic": {
        const topic = this.requireTopic(record.topicId);
        this.topicsById.delete(topic.topicId);
        this.topicsByName.delete(topic.name);
        return;
      }
      case "add-partitions": {
        const topic = this.requireTopic(record.topicId);
        this.replaceTopic({ ...topic, partitions: [...topic.partitions, ...record.partitions] });
        return;
      }
      case "topic-configs":
        this.changeConfigs(record.topicId, record.changes);
        return;
      case "group-configs":
        this.changeGroupConfigs(record.groupId, record.changes);
        return;
      case "broker-configs":
        this.brokerConfigsByName.set(
          record.broker,
          changedConfigs(this.brokerConfigs(record.broker), record.changes),
        );
        if (this.brokerConfigsByName.get(record.broker)!.size === 0)
          this.brokerConfigsByName.delete(record.broker);
        return;
      case "client-quotas":
        this.changeClientQuotas(record.entity, record.changes);
        return;
      case "producer-ids":
        assert(record.nextProducerId > this.nextProducerId, "producer ids must only move forward");
        this.nextProducerId = record.nextProducerId;
        return;
      case "acl":
        this.acls.add(record.binding);
        return;
      case "remove-acl":
        this.acls.remove(record.binding);
        return;
      case "scram-credential": {
        const { type: _type, ...credential } = record;
        const mechanisms = this.scramCredentialsByUser.get(record.user) ?? new Map();
        mechanisms.set(record.mechanism, credential);
        this.scramCredentialsByUser.set(record.user, mechanisms);
        return;
      }
      case "remove-scram-credential": {
        const mechanisms = this.scramCredentialsByUser.get(record.user);
        assert(
          mechanisms?.has(record.mechanism) === true,
          `no ${record.mechanism} credential for ${record.user}`,
        );
        mechanisms.delete(record.mechanism);
        if (mechanisms.size === 0) this.scramCredentialsByUser.delete(record.user);
        return;
      }
      default:
        unreachable(record, "unknown metadata record");
    }
  }

  /** The state as the records that rebuild it: a snapshot for a log that compacts, or a new follower. */
  toRecords(): MetadataRecord[] {
    const records: MetadataRecord[] = [];
    if (this.clusterId !== null) records.push({ type: "cluster-id", clusterId: this.clusterId });
    for (const { fenced, incarnationId, listeners, ...broker } of this.brokersById.values()) {
      records.push({
        type: "broker",
        ...broker,
        ...(incarnationId === null ? {} : { incarnationId }),
        ...(listeners.length === 0 ? {} : { listeners: listeners.map((listener) => ({ ...listener })) }),
      });
      if (fenced) records.push({ type: "broker-fencing", nodeId: broker.nodeId, fenced });
    }
    for (const topic of this.topicsByName.values()) {
      records.push({
        type: "topic",
        name: topic.name,
        topicId: topic.topicId,
        partitions: topic.partitions.map((partition) => ({ replicas: [...partition.replicas] })),
        configs: Object.fromEntries(topic.configs),
      });
    }
    for (const [groupId, configs] of this.groupConfigsById)
      records.push({ type: "group-configs", groupId, changes: Object.fromEntries(configs) });
    for (const binding of this.acls.all()) records.push({ type: "acl", binding: { ...binding } });
    for (const [broker, configs] of this.brokerConfigsByName)
      records.push({ type: "broker-configs", broker, changes: Object.fromEntries(configs) });
    for (const { entity, quotas } of this.clientQuotasByEntity.values())
      records.push({ type: "client-quotas", entity: { ...entity }, changes: Object.fromEntries(quotas) });
    if (this.nextProducerId > 0) records.push({ type: "producer-ids", nextProducerId: this.nextProducerId });
    for (const mechanisms of this.scramCredentialsByUser.values()) {
      for (const credential of mechanisms.values()) records.push({ type: "scram-credential", ...credential });
    }
    return records;
  }

  private addTopic(record: Extract<MetadataRecord, { type: "topic" }>): void {
    assert(!this.topicsByName.has(record.name), `topic ${record.name} exists`);
    assert(!this.topicsById.has(record.topicId), `topic id ${record.topicId} exists`);
    assert(record.partitions.length > 0, `topic ${record.name} has no partitions`);
    this.replaceTopic({
      name: record.name,
      topicId: record.topicId,
      partitions: record.partitions.map((partition) => ({ replicas: [...partition.replicas] })),
      configs: new Map(Object.entries(record.configs)),
    });
  }

  private changeConfigs(topicId: string, changes: Record<string, string | null>): void {
    const topic = this.requireTopic(topicId);
    const configs = new Map(topic.configs);
    for (const [name, value] of Object.entries(changes)) {
      if (value === null) configs.delete(name);
      else configs.set(name, value);
    }
    this.replaceTopic({ ...topic, configs });
  }

  private changeGroupConfigs(groupId: string, changes: Record<string, string | null>): void {
    assert(groupId !== "", "group configs without a group id");
    const configs = new Map(this.groupConfigs(groupId));
    for (const [name, value] of Object.entries(changes)) {
      if (value === null) configs.delete(name);
      else configs.set(name, value);
    }
    if (configs.size === 0) this.groupConfigsById.delete(groupId);
    else this.groupConfigsById.set(groupId, configs);
  }

  private changeClientQuotas(
    entity: Record<string, string | null>,
    changes: Record<string, number | null>,
  ): void {
    assert(Object.keys(entity).length > 0, "client quotas without an entity");
    const key = entityKey(entity);
    const quotas = new Map(this.clientQuotasByEntity.get(key)?.quotas);
    for (const [name, value] of Object.entries(changes)) {
      if (value === null) quotas.delete(name);
      else quotas.set(name, value);
    }
    if (quotas.size === 0) this.clientQuotasByEntity.delete(key);
    else this.clientQuotasByEntity.set(key, { entity: { ...entity }, quotas });
  }

  private requireTopic(topicId: string): TopicMetadata {
    const topic = this.topicsById.get(topicId);
    assert(topic !== undefined, `no topic with id ${topicId}`);
    return topic;
  }

  private replaceTopic(topic: TopicMetadata): void {
    this.topicsByName.set(topic.name, topic);
    this.topicsById.set(topic.topicId, topic);
  }
}

/** Whether every change (a value, or null for removed) is what `configs` holds. */
function sameConfigs(configs: ReadonlyMap<string, string>, changes: Record<string, string | null>): boolean {
  return Object.entries(changes).every(([name, value]) => (configs.get(name) ?? null) === value);
}

/** `configs` with `changes` made: a string sets a config, null removes it. A new map; `configs` is left alone. */
function changedConfigs(
  configs: ReadonlyMap<string, string>,
  changes: Record<string, string | null>,
): ReadonlyMap<string, string> {
  const changed = new Map(configs);
  for (const [name, value] of Object.entries(changes)) {
    if (value === null) changed.delete(name);
    else changed.set(name, value);
  }
  return changed;
}
