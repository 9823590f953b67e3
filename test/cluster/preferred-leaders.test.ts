// Proves PreferredLeaders, the node's side of preferred elections: a partition led here is handed over only to
// a live, caught-up preferred replica and answers NONE once it leads (or PREFERRED_LEADER_NOT_AVAILABLE with the
// reason); one led elsewhere is asked of its leader (asked again once if leadership moved, REQUEST_TIMED_OUT if
// the leader does not answer); and the imbalance check starts the transfers the plan picks, one check at a time.
import { beforeEach, describe, expect, test } from "bun:test";
import { silentLogger } from "../../src/base/logger.ts";
import { type HostedReplica, HostedReplicas } from "../../src/cluster/hosted-replicas.ts";
import { MetadataState } from "../../src/cluster/metadata/metadata-state.ts";
import { PartitionLeaders } from "../../src/cluster/partition-leaders.ts";
import type { ElectionAnswer, ElectionRequest } from "../../src/cluster/preferred-leaders.ts";
import { PreferredLeaders } from "../../src/cluster/preferred-leaders.ts";
import { ErrorCode } from "../../src/protocol/error-codes.ts";

type Outcome = { ok: true } | { ok: false; reason: string };

/** A hosted replica whose leader, caught-up followers and transfer outcome the test sets. */
interface FakeReplica {
  leaderId: number | null;
  caughtUp: Set<number>;
  transferTo: number[];
  outcome: Outcome;
}

let state: MetadataState;
let fakes: Map<number, FakeReplica>;
let forwarded: Array<{ leaderId: number; request: ElectionRequest }>;
let forwardAnswers: Array<ElectionAnswer | Error>;
let leaders: PreferredLeaders;

beforeEach(() => {
  state = new MetadataState();
  for (const nodeId of [1, 2, 3]) state.apply({ type: "broker", nodeId, host: "h", port: 9092, rack: null });
  state.apply({
    type: "topic",
    name: "orders",
    topicId: "T",
    partitions: [{ replicas: [2, 1, 3] }, { replicas: [3, 1, 2] }, { replicas: [1, 2, 3] }],
    configs: {},
  });
  fakes = new Map();
  const open = (_topic: unknown, partition: number): HostedReplica => {
    const fake: FakeReplica = {
      leaderId: 1,
      caughtUp: new Set([2, 3]),
      transferTo: [],
      outcome: { ok: true },
    };
    fakes.set(partition, fake);
    const replica = {
      topicId: "T",
      topicName: "orders",
      partition,
      isLeader: () => fake.leaderId === 1,
      localLeadership: () => ({ leaderId: fake.leaderId, leaderEpoch: 4, isr: [] }),
      canTakeOver: (nodeId: number) => fake.leaderId === 1 && fake.caughtUp.has(nodeId),
      transferLeadership: async (target: number) => {
        fake.transferTo.push(target);
        if (fake.outcome.ok) fake.leaderId = target;
        return fake.outcome;
      },
    };
    return replica as unknown as HostedReplica;
  };
  const replicas = new HostedReplicas({
    nodeId: 1,
    open,
    logger: silentLogger,
    leaders: new PartitionLeaders(5_000),
    monotonicMs: () => 0,
  });
  replicas.reconcile(state);
  forwarded = [];
  forwardAnswers = [];
  leaders = new PreferredLeaders({
    nodeId: 1,
    metadata: { state },
    replicas,
    forward: async (leaderId, request) => {
      forwarded.push({ leaderId, request });
      const answer = forwardAnswers.shift() ?? { errorCode: ErrorCode.None, errorMessage: null };
      if (answer instanceof Error) throw answer;
      return answer;
    },
    logger: silentLogger,
  });
});

const request = (partition: number): ElectionRequest => ({ topicId: "T", partition, timeoutMs: 1_000 });

describe("a partition led here", () => {
  test("goes to its live, caught-up preferred replica, answered NONE once it leads", async () => {
    expect(await leaders.electPreferred(request(0))).toEqual({
      errorCode: ErrorCode.None,
      errorMessage: null,
    });
    expect(fakes.get(0)!.transferTo).toEqual([2]);
    expect(fakes.get(0)!.leaderId).toBe(2);
  });

  test("stays when the preferred replica is fenced, behind, or the transfer fails; and when it leads itself", async () => {
    state.apply({ type: "broker-fencing", nodeId: 2, fenced: true });
    expect(await leaders.electHere("T", 0)).toEqual({
      errorCode: ErrorCode.PreferredLeaderNotAvailable,
      errorMessage: "preferred replica 2 is not alive",
    });
    fakes.get(1)!.caughtUp.delete(3);
    expect(await leaders.electHere("T", 1)).toEqual({
      errorCode: ErrorCode.PreferredLeaderNotAvailable,
      errorMessage: "preferred replica 3 is not in sync",
    });
    expect(fakes.get(0)!.transferTo).toEqual([]);
    expect(fakes.get(1)!.transferTo).toEqual([]);
    fakes.get(1)!.caughtUp.add(3);
    fakes.get(1)!.outcome = { ok: false, reason: "node 3 did not catch up within an election timeout" };
    expect(await leaders.electHere("T", 1)).toEqual({
      errorCode: ErrorCode.PreferredLeaderNotAvailable,
      errorMessage: "node 3 did not catch up within an election timeout",
    });
    expect(await leaders.electHere("T", 2)).toEqual({
      errorCode: ErrorCode.ElectionNotNeeded,
      errorMessage: null,
    });
  });

  test("a node asked for a partition it does not lead, or does not know, says so", async () => {
    fakes.get(0)!.leaderId = 3;
    expect((await leaders.electHere("T", 0)).errorCode).toBe(ErrorCode.NotLeaderOrFollower);
    expect((await leaders.electHere("T", 7)).errorCode).toBe(ErrorCode.UnknownTopicOrPartition);
    expect((await leaders.electHere("nope", 0)).errorCode).toBe(ErrorCode.UnknownTopicOrPartition);
  });
});

describe("a partition led elsewhere", () => {
  test("is asked of its leader, whose answer is the answer", async () => {
    fakes.get(0)!.leaderId = 3;
    forwardAnswers.push({ errorCode: ErrorCode.PreferredLeaderNotAvailable, errorMessage: "not in sync" });
    expect(await leaders.electPreferred(request(0))).toEqual({
      errorCode: ErrorCode.PreferredLeaderNotAvailable,
      errorMessage: "not in sync",
    });
    expect(forwarded).toEqual([{ leaderId: 3, request: request(0) }]);
  });

  test("is asked once more when leadership moved between the look-up and the call", async () => {
    fakes.get(0)!.leaderId = 3;
    forwardAnswers.push({ errorCode: ErrorCode.NotLeaderOrFollower, errorMessage: "moved" });
    expect((await leaders.electPreferred(request(0))).errorCode).toBe(ErrorCode.None);
    expect(forwarded.map((call) => call.leaderId)).toEqual([3, 3]);
  });

  test("a leader that does not answer is REQUEST_TIMED_OUT; no leader at all is PREFERRED_LEADER_NOT_AVAILABLE", async () => {
    fakes.get(0)!.leaderId = 3;
    forwardAnswers.push(new Error("deadline exceeded"));
    expect(await leaders.electPreferred(request(0))).toEqual({
      errorCode: ErrorCode.RequestTimedOut,
      errorMessage: "node 3 did not answer: deadline exceeded",
    });
    fakes.get(0)!.leaderId = null;
    expect((await leaders.electPreferred(request(0))).errorCode).toBe(ErrorCode.PreferredLeaderNotAvailable);
  });
});

test("the imbalance check transfers what the plan picks, and skips a check while transfers are under way", async () => {
  // Partitions 0 (preferred 2) and 1 (preferred 3) are led here, so brokers 2 and 3 lead none of theirs.
  const plan = leaders.checkBalance({ imbalancePercentPerBroker: 10, transfersMax: 10 });
  expect(plan?.transfers.map((t) => [t.partition.partition, t.target])).toEqual([
    [0, 2],
    [1, 3],
  ]);
  expect(leaders.checkBalance({ imbalancePercentPerBroker: 10, transfersMax: 10 })).toBeUndefined();
  await Bun.sleep(0);
  expect([fakes.get(0)!.leaderId, fakes.get(1)!.leaderId, fakes.get(2)!.leaderId]).toEqual([2, 3, 1]);
  expect(leaders.checkBalance({ imbalancePercentPerBroker: 10, transfersMax: 10 })?.transfers).toEqual([]);
});
