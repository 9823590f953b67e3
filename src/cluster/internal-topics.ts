// The topic names the broker keeps for itself, and how a partition's Raft group is named on a node. Admin
// commands refuse to create, delete or grow these topics (metadata-commands.ts), and a node never hosts a
// topic-partition whose Raft group would be one of its own (hosted-replicas.ts).

/** The cluster metadata's log, as KRaft names it: one partition, its own Raft group, never a topic. */
export const metadataTopicName = "__cluster_metadata";
/** Group metadata and committed offsets (DESIGN.md decision 6); the broker creates it at start. */
export const offsetsTopicName = "__consumer_offsets";
/**
 * offsets.topic.segment.bytes, Kafka's default: __consumer_offsets is compacted (group-log-compaction.ts), and
 * what compaction leaves behind goes back to the disk a whole segment at a time.
 */
export const offsetsSegmentBytes = 100 * 1024 * 1024;
/** Kafka's transaction coordinator's log: reserved now so that no user topic holds the name later. */
export const transactionStateTopicName = "__transaction_state";

/**
 * Topics a coordinator owns, reported with isInternal as Kafka's Topic.isInternal does. Their partition count
 * is the coordinator's hash modulus, so a copy created, grown or deleted by hand strands the groups on it.
 */
export const internalTopicNames: ReadonlySet<string> = new Set([offsetsTopicName, transactionStateTopicName]);

/**
 * A partition's Raft group id, which is also its log directory's name (storage's partitionDirName). The
 * partition number is the digits after the last '-', so two topic-partitions never share an id; only the
 * groups a node hosts for itself can collide with a topic's.
 */
export function partitionGroupId(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

/** The Raft groups a node hosts for itself rather than for a topic: the metadata log. */
export const nodeGroupIds: ReadonlySet<string> = new Set([partitionGroupId(metadataTopicName, 0)]);
