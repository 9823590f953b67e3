// The consumer-group service the broker tests run: over a test broker's __consumer_offsets replicas (led here
// unless told otherwise) and its metadata's topics, on the time the broker runs on.

import { silentLogger } from "../../src/base/logger.ts";
import { GroupService, type GroupServiceOptions, offsetsTopicName } from "../../src/cluster/group-service.ts";
import type { BrokerTime, TestContext } from "./in-process-broker.ts";

/** offsets.topic.num.partitions in tests: few, so that groups share partitions. */
export const testOffsetsPartitions = 4;

export function newGroupService(
  on: TestContext,
  time: BrokerTime,
  overrides: Partial<GroupServiceOptions> & { leads?: boolean } = {},
): GroupService {
  const { leads = true, ...options } = overrides;
  return new GroupService({
    offsetsPartitions: testOffsetsPartitions,
    replicaOf: (partition) => (leads ? on.replicas.byName(offsetsTopicName, partition) : undefined),
    topics: (name) => {
      const topic = on.metadata.state.topicByName(name);
      return topic && { topicId: topic.topicId, partitionCount: topic.partitions.length };
    },
    newUuid: () => crypto.randomUUID(),
    ...time,
    logger: silentLogger,
    ...options,
  });
}
