// Which topic partitions each applied metadata state no longer has, as Kafka's BrokerMetadataPublisher finds
// them in a metadata delta (topicsDelta.deletedTopicIds) to tell the group coordinator. Topics are followed by
// id, not name: a topic deleted and created again under its name between two looks is a different topic, and
// the old one's partitions are reported as deleted under that name.

import type { DeletedPartitions } from "./groups/index.ts";
import type { MetadataState } from "./metadata/metadata-state.ts";

interface SeenTopic {
  name: string;
  partitionCount: number;
}

export class DeletedPartitionsFollower {
  /** The topics of the last state followed, by topic id. */
  private seen = new Map<string, SeenTopic>();

  /** The partitions of topics seen last time that `state` does not have; nothing on the first call. */
  follow(state: MetadataState): DeletedPartitions[] {
    const deleted: DeletedPartitions[] = [];
    for (const [topicId, before] of this.seen) {
      // Kafka cannot shrink a topic, but a count that went down would mean the same: those partitions are gone.
      const partitionCount = state.topicById(topicId)?.partitions.length ?? 0;
      if (partitionCount >= before.partitionCount) continue;
      const partitions = Array.from(
        { length: before.partitionCount - partitionCount },
        (_, index) => partitionCount + index,
      );
      deleted.push({ topic: before.name, partitions });
    }
    this.seen = new Map();
    for (const topic of state.topics()) {
      this.seen.set(topic.topicId, { name: topic.name, partitionCount: topic.partitions.length });
    }
    return deleted;
  }
}
