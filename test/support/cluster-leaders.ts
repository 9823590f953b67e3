// Who leads what in a real cluster, as a node's Metadata answer says: for the leader-balance tests and bench.
// Creates topics and elects leaders over the raw client, so the bytes are exactly Kafka's requests.

import { createFetchRequestFetchPartition } from "../../src/protocol/messages/fetch.ts";
import { ApiKey, apiCodecs } from "../../src/protocol/messages/registry.ts";
import { RawKafkaClient } from "./raw-kafka-client.ts";

export interface PartitionView {
  readonly partition: number;
  /** -1 when the node knows no leader. */
  readonly leaderId: number;
  /** The assignment, preferred replica first. */
  readonly replicas: readonly number[];
}

/** Creates a topic with `partitions` partitions of `replicationFactor` replicas (CreateTopics v7). */
export async function createTopic(
  port: number,
  name: string,
  partitions: number,
  replicationFactor: number,
): Promise<void> {
  const client = await RawKafkaClient.connect(port);
  try {
    const response = await client.request(ApiKey.CreateTopics, 7, {
      topics: [
        {
          name,
          numPartitions: partitions,
          replicationFactor,
          assignments: [],
          configs: [],
          unknownTaggedFields: [],
        },
      ],
      timeoutMs: 20_000,
      validateOnly: false,
      unknownTaggedFields: [],
    });
    const error = response.topics[0]!.errorCode;
    if (error !== 0)
      throw new Error(`CreateTopics ${name}: error ${error} ${response.topics[0]!.errorMessage}`);
  } finally {
    client.close();
  }
}

/** The topic's partitions as node `port` answers Metadata v12, in partition order. */
export async function partitionViews(port: number, topic: string): Promise<PartitionView[]> {
  const client = await RawKafkaClient.connect(port);
  try {
    const response = await client.request(ApiKey.Metadata, 12, {
      ...apiCodecs(ApiKey.Metadata).request.create(),
      topics: [{ name: topic, topicId: "AAAAAAAAAAAAAAAAAAAAAA", unknownTaggedFields: [] }],
      allowAutoTopicCreation: false,
    });
    return response.topics[0]!.partitions.map((partition) => ({
      partition: partition.partitionIndex,
      leaderId: partition.leaderId,
      replicas: partition.replicaNodes,
    })).sort((a, b) => a.partition - b.partition);
  } finally {
    client.close();
  }
}

/** Partitions led per node, e.g. "1:2 2:2 3:2" (leaderless ones under -1). */
export function leaderBalance(views: readonly PartitionView[]): string {
  const counts = new Map<number, number>();
  for (const view of views) counts.set(view.leaderId, (counts.get(view.leaderId) ?? 0) + 1);
  return [...counts]
    .sort(([a], [b]) => a - b)
    .map(([nodeId, count]) => `${nodeId}:${count}`)
    .join(" ");
}

/** Whether every partition is led by its preferred replica. */
export function allPreferred(views: readonly PartitionView[]): boolean {
  return views.length > 0 && views.every((view) => view.leaderId === view.replicas[0]);
}

/** Polls node `port`'s view of `topic` until `done` holds; the view it held. Throws after timeoutMs. */
export async function waitForViews(
  port: number,
  topic: string,
  done: (views: PartitionView[]) => boolean,
  what: string,
  timeoutMs = 20_000,
): Promise<PartitionView[]> {
  const deadline = performance.now() + timeoutMs;
  let last: PartitionView[] = [];
  for (;;) {
    last = await partitionViews(port, topic).catch(() => last);
    if (done(last)) return last;
    if (performance.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; leaders ${leaderBalance(last)}`);
    }
    await Bun.sleep(100);
  }
}

/** One ElectLeaders answer row: [topic, partition, error code]. */
export type ElectionRow = [topic: string, partition: number, errorCode: number];

/** Sends ElectLeaders to node `port` and returns its top-level error and rows, in response order. */
export async function electLeaders(
  port: number,
  options: {
    version: number;
    electionType: 0 | 1;
    topicPartitions: Array<{ topic: string; partitions: number[] }> | null;
  },
): Promise<{ errorCode: number; rows: ElectionRow[]; messages: Array<string | null> }> {
  const client = await RawKafkaClient.connect(port);
  try {
    const response = await client.request(ApiKey.ElectLeaders, options.version, {
      electionType: options.electionType,
      topicPartitions:
        options.topicPartitions === null
          ? null
          : options.topicPartitions.map((entry) => ({ ...entry, unknownTaggedFields: [] })),
      timeoutMs: 10_000,
      unknownTaggedFields: [],
    });
    const results = response.replicaElectionResults.flatMap((topic) =>
      topic.partitionResult.map((row) => ({ topic: topic.topic, row })),
    );
    return {
      errorCode: response.errorCode,
      rows: results.map(({ topic, row }): ElectionRow => [topic, row.partitionId, row.errorCode]),
      messages: results.map(({ row }) => row.errorMessage),
    };
  } finally {
    client.close();
  }
}

/**
 * One Fetch v12 of partition 0 of `topic` at `offset` on the node at `port` (no wait, up to 1 MiB): followers
 * serve committed records, and the answer carries that node's log start.
 */
export async function fetchPartitionZero(port: number, topic: string, offset: bigint) {
  const client = await RawKafkaClient.connect(port);
  try {
    const response = await client.request(ApiKey.Fetch, 12, {
      ...apiCodecs(ApiKey.Fetch).request.create(),
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 1 << 20,
      topics: [
        {
          topic,
          topicId: "AAAAAAAAAAAAAAAAAAAAAA",
          partitions: [
            {
              ...createFetchRequestFetchPartition(),
              partition: 0,
              currentLeaderEpoch: -1,
              fetchOffset: offset,
              lastFetchedEpoch: -1,
              logStartOffset: -1n,
              partitionMaxBytes: 1 << 20,
              unknownTaggedFields: [],
            },
          ],
          unknownTaggedFields: [],
        },
      ],
    });
    return response.responses[0]!.partitions[0]!;
  } finally {
    client.close();
  }
}
