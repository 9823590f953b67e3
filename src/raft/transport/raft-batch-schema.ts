// Numbers of raft.proto the codec's two halves share: field numbers of RaftMessage's body, EntryKind's
// values, and the limits on ids.
import type { EntryKind, Message } from "../core/index.ts";

/** Longest group id accepted: a Kafka topic name (249) plus "-" and a partition number, with room to spare. */
export const groupIdLengthMax = 512;
/** Node ids are non-negative int32 (--node-id, --peers). */
export const nodeIdMax = 2 ** 31 - 1;

/** Field numbers of RaftMessage's body, in the .proto. */
export const bodyField: Record<Message["type"], number> = {
  vote: 2,
  voteResponse: 3,
  append: 4,
  appendResponse: 5,
  heartbeat: 6,
  heartbeatResponse: 7,
  snapshot: 8,
  snapshotResponse: 9,
  timeoutNow: 10,
};
export const bodyType = new Map<number, Message["type"]>(
  Object.entries(bodyField).map(([type, field]) => [field, type as Message["type"]]),
);

/** EntryKind's values in the .proto (0 is ENTRY_KIND_UNSPECIFIED, never valid). */
export const entryKindValue: Record<EntryKind, number> = { data: 1, control: 2, config: 3 };
export const entryKindOf = new Map<number, EntryKind>([
  [1, "data"],
  [2, "control"],
  [3, "config"],
]);
