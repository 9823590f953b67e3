// Proves the metadata follower reports exactly the partitions that went away between two states, by topic id:
// a deleted topic, a topic deleted and created again under its name (even within one look), and nothing for
// the first state, unchanged topics, or partitions added.

import { describe, expect, test } from "bun:test";
import { DeletedPartitionsFollower } from "../../src/cluster/deleted-partitions.ts";
import { MetadataState } from "../../src/cluster/metadata/metadata-state.ts";

function withTopic(state: MetadataState, name: string, topicId: string, partitionCount: number): void {
  state.apply({
    type: "topic",
    name,
    topicId,
    partitions: Array.from({ length: partitionCount }, () => ({ replicas: [1] })),
    configs: {},
  });
}

describe("DeletedPartitionsFollower", () => {
  test("the first state and unchanged or grown topics report nothing", () => {
    const state = new MetadataState();
    withTopic(state, "kept", "id-kept", 2);
    const follower = new DeletedPartitionsFollower();
    expect(follower.follow(state)).toEqual([]);
    state.apply({ type: "add-partitions", topicId: "id-kept", partitions: [{ replicas: [1] }] });
    expect(follower.follow(state)).toEqual([]);
    expect(follower.follow(state)).toEqual([]);
  });

  test("a deleted topic's partitions are reported once, by name", () => {
    const state = new MetadataState();
    withTopic(state, "dt", "id-old", 3);
    withTopic(state, "kept", "id-kept", 1);
    const follower = new DeletedPartitionsFollower();
    follower.follow(state);
    state.apply({ type: "remove-topic", topicId: "id-old" });
    expect(follower.follow(state)).toEqual([{ topic: "dt", partitions: [0, 1, 2] }]);
    expect(follower.follow(state)).toEqual([]);
  });

  test("deleted and created again between two looks: the old topic's partitions are reported", () => {
    const state = new MetadataState();
    withTopic(state, "dt", "id-old", 2);
    const follower = new DeletedPartitionsFollower();
    follower.follow(state);
    state.apply({ type: "remove-topic", topicId: "id-old" });
    withTopic(state, "dt", "id-new", 5);
    expect(follower.follow(state)).toEqual([{ topic: "dt", partitions: [0, 1] }]);
    expect(follower.follow(state)).toEqual([]);
  });
});
