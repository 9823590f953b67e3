// Proves, over seeded random runs of joins, leaves, lost responses, silent revocations, subscription
// changes and topic growth, that no two members ever own one partition and the group always converges.

import { expect, test } from "bun:test";
import { Client, expectNoDoubleOwnership, Harness, settle } from "./consumer-group-harness.ts";

/** A small seeded PRNG (mulberry32) so a failing seed replays identically. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface SimClient {
  client: Client;
  joined: boolean;
  /** After a lost response the consumer sends a full heartbeat, as Kafka's does after an error. */
  sendFull: boolean;
  lostInARow: number;
}

function step(sim: SimClient, next: () => number, harness: Harness, topicNames: string[]): void {
  const { client } = sim;
  const roll = next();
  if (!sim.joined) {
    if (roll < 0.5) sim.joined = client.join().error === "NONE";
    return;
  }
  if (roll < 0.05) {
    client.heartbeat({ memberEpoch: -1 });
    client.owned = [];
    sim.joined = false;
    return;
  }
  const full = sim.sendFull
    ? {
        rebalanceTimeoutMs: 60_000,
        subscribedTopicNames: client.options.topics,
        topicPartitions: client.owned,
      }
    : {};
  if (roll < 0.12) {
    // The response is lost: the consumer's state stays as it was.
    const saved = { memberEpoch: client.memberEpoch, owned: client.owned };
    client.heartbeat(full);
    Object.assign(client, saved);
    sim.sendFull = true;
    sim.lostInARow++;
    return;
  }
  if (roll < 0.17) client.options.topics = topicNames.filter(() => next() < 0.7);
  if (roll >= 0.17 && roll < 0.2) {
    const name = topicNames[Math.floor(next() * topicNames.length)] ?? "t0";
    const topic = harness.topics.get(name);
    if (topic !== undefined) harness.addTopic(name, topic.partitionCount + 1);
  }
  const silent = roll >= 0.2 && roll < 0.3 && !sim.sendFull; // does not report what it owns
  const subscription = roll < 0.17 ? { subscribedTopicNames: client.options.topics } : {};
  const response = client.heartbeat({
    ...full,
    ...subscription,
    ...(silent ? { topicPartitions: null } : {}),
  });
  sim.sendFull = false;
  if (response.error === "NONE") {
    sim.lostInARow = 0;
    return;
  }
  // Only a member whose answers were lost twice running can fall two epochs behind; it must rejoin.
  expect(response.error).toBe("FENCED_MEMBER_EPOCH");
  expect(sim.lostInARow).toBeGreaterThanOrEqual(2);
  client.owned = [];
  sim.joined = client.join().error === "NONE";
  sim.lostInARow = 0;
}

test("seeded random runs never double-assign a partition and always converge", () => {
  for (let seed = 1; seed <= 30; seed++) {
    const next = random(seed);
    const harness = new Harness();
    const topicNames = ["t0", "t1", "t2"];
    for (const name of topicNames) harness.addTopic(name, 1 + Math.floor(next() * 8));
    const sims: SimClient[] = ["a", "b", "c", "d", "e"].map((name) => ({
      client: new Client(harness, name, { topics: topicNames.filter(() => next() < 0.7) }),
      joined: false,
      sendFull: false,
      lostInARow: 0,
    }));
    for (let i = 0; i < 300; i++) {
      const sim = sims[Math.floor(next() * sims.length)];
      if (sim !== undefined) step(sim, next, harness, topicNames);
      expectNoDoubleOwnership(sims.filter((s) => s.joined).map((s) => s.client));
    }
    const live = sims.filter((s) => s.joined).map((s) => s.client);
    if (live.length === 0) continue;
    for (const { client, joined, sendFull } of sims) {
      const full = { rebalanceTimeoutMs: 60_000, subscribedTopicNames: client.options.topics };
      if (joined && sendFull) client.heartbeat({ ...full, topicPartitions: client.owned });
    }
    settle(live, 6);
    // Converged: every partition of every subscribed topic is owned by exactly one live client.
    const subscribed = new Set(live.flatMap((c) => c.options.topics));
    let expected = 0;
    for (const name of subscribed) expected += harness.topics.get(name)?.partitionCount ?? 0;
    expect(live.reduce((sum, c) => sum + c.ownedCount(), 0)).toBe(expected);
    expectNoDoubleOwnership(live);
  }
});
