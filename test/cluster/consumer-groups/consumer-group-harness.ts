// Simulated KIP-848 consumers against one ConsumerGroupCoordinator: each client owns what the coordinator
// last told it, and reports that ownership in every heartbeat, as the Kafka 4 consumer does.

import { expect } from "bun:test";
import {
  type ConsumerGroupConfig,
  ConsumerGroupCoordinator,
  type ConsumerGroupHeartbeatInput,
  type ConsumerGroupHeartbeatResponse,
  type ConsumerGroupRecord,
  type GroupConfigLookup,
  type TopicPartitions,
} from "../../../src/cluster/consumer-groups/index.ts";

export const groupId = "g";

export class Harness {
  readonly topics = new Map<string, { topicId: string; partitionCount: number }>();
  readonly records: ConsumerGroupRecord[] = [];
  readonly coordinator: ConsumerGroupCoordinator;
  nowMs = 1_000;
  private uuid = 0;

  constructor(config: Partial<ConsumerGroupConfig> = {}, groupConfig?: GroupConfigLookup) {
    this.coordinator = new ConsumerGroupCoordinator({
      config,
      groupConfig,
      newUuid: () => `uuid-${++this.uuid}`,
      topics: (name) => this.topics.get(name),
    });
  }

  addTopic(name: string, partitionCount: number): string {
    const topicId = `id-${name}`;
    this.topics.set(name, { topicId, partitionCount });
    return topicId;
  }

  send(input: Partial<ConsumerGroupHeartbeatInput>): ConsumerGroupHeartbeatResponse {
    const result = this.coordinator.heartbeat({ ...baseInput, ...input }, this.nowMs);
    this.records.push(...result.records);
    return result.response;
  }

  tick(advanceMs: number): void {
    this.nowMs += advanceMs;
    this.records.push(...this.coordinator.tick(this.nowMs));
  }

  describe() {
    const [group] = this.coordinator.describe([groupId]);
    if (group === undefined) throw new Error("no description");
    return group;
  }
}

const baseInput: ConsumerGroupHeartbeatInput = {
  groupId,
  memberId: "",
  memberEpoch: 0,
  instanceId: null,
  rackId: null,
  rebalanceTimeoutMs: -1,
  subscribedTopicNames: null,
  subscribedTopicRegex: null,
  serverAssignor: null,
  topicPartitions: null,
  clientId: "client",
  clientHost: "/127.0.0.1",
};

/**
 * A whole ConsumerGroupHeartbeat of member "m" of group "g" joining with nothing owned, subscribed to
 * "orders": the request a Kafka 4 consumer sends first. Tests override what they need.
 */
export function fullHeartbeatInput(
  input: Partial<ConsumerGroupHeartbeatInput> = {},
): ConsumerGroupHeartbeatInput {
  return {
    groupId: "g",
    memberId: "m",
    memberEpoch: 0,
    instanceId: null,
    rackId: null,
    rebalanceTimeoutMs: 30_000,
    subscribedTopicNames: ["orders"],
    subscribedTopicRegex: null,
    serverAssignor: null,
    topicPartitions: [],
    clientId: "c",
    clientHost: "/127.0.0.1",
    ...input,
  };
}

/** A consumer: joins, heartbeats with what it owns, adopts any assignment it is sent. */
export class Client {
  memberId: string;
  memberEpoch = 0;
  owned: TopicPartitions[] = [];
  last: ConsumerGroupHeartbeatResponse | undefined;

  constructor(
    readonly harness: Harness,
    readonly name: string,
    readonly options: {
      topics: string[];
      instanceId?: string;
      assignor?: string;
      rebalanceTimeoutMs?: number;
    },
  ) {
    this.memberId = name;
  }

  join(): ConsumerGroupHeartbeatResponse {
    this.memberEpoch = 0;
    this.owned = [];
    return this.heartbeat({
      subscribedTopicNames: this.options.topics,
      rebalanceTimeoutMs: this.options.rebalanceTimeoutMs ?? 60_000,
      serverAssignor: this.options.assignor ?? null,
    });
  }

  heartbeat(extra: Partial<ConsumerGroupHeartbeatInput> = {}): ConsumerGroupHeartbeatResponse {
    const response = this.harness.send({
      memberId: this.memberId,
      memberEpoch: this.memberEpoch,
      instanceId: this.options.instanceId ?? null,
      topicPartitions: this.owned,
      ...extra,
    });
    this.last = response;
    if (response.error === "NONE") {
      if (response.memberId !== null) this.memberId = response.memberId;
      this.memberEpoch = response.memberEpoch;
      if (response.assignment !== null) this.owned = response.assignment;
    }
    return response;
  }

  ownedCount(): number {
    return this.owned.reduce((sum, t) => sum + t.partitions.length, 0);
  }
}

/** The safety property: no partition is owned by two clients at once. */
export function expectNoDoubleOwnership(clients: readonly Client[]): void {
  const seen = new Map<string, string>();
  for (const client of clients) {
    for (const { topicId, partitions } of client.owned) {
      for (const partition of partitions) {
        const key = `${topicId}-${partition}`;
        expect(seen.get(key) ?? client.name).toBe(client.name);
        seen.set(key, client.name);
      }
    }
  }
}

/** Heartbeats every client in turn until the group is Stable (bounded), checking safety after each. */
export function settle(clients: readonly Client[], roundsMax = 10): number {
  for (let round = 1; round <= roundsMax; round++) {
    for (const client of clients) {
      const { error } = client.heartbeat();
      // A fenced consumer drops its partitions and rejoins, as Kafka's does.
      if (error === "FENCED_MEMBER_EPOCH" || error === "UNKNOWN_MEMBER_ID")
        expect(client.join().error).toBe("NONE");
      expectNoDoubleOwnership(clients);
    }
    if (clients[0]?.harness.describe().state === "Stable") return round;
  }
  throw new Error("group did not settle");
}
