// ElectLeaders v0–2 (KIP-183, KIP-460): admin-triggered leader elections, answered per partition as Kafka's
// KRaft controller answers them (ReplicationControlManager.electLeaders).
//
// PREFERRED (0) hands each partition to its preferred replica (the first of its assignment): ELECTION_NOT_NEEDED
// when that replica leads already, NONE once it does, PREFERRED_LEADER_NOT_AVAILABLE when it is fenced, not in
// sync, or the hand-over failed. The partition's current leader does the hand-over (TimeoutNow), wherever the
// request arrived: preferred-leaders.ts asks it with a peer call, and the answer waits for the outcome.
//
// UNCLEAN (1) would elect a replica outside the ISR when no in-sync replica is left. Raft never does that: a
// replica is elected only by a majority whose logs it holds everything committed in, so an out-of-date replica
// can never lead and nothing acknowledged is ever truncated. A partition with a live leader answers
// ELECTION_NOT_NEEDED, as in Kafka; one without answers ELIGIBLE_LEADERS_NOT_AVAILABLE: it gets a leader as soon
// as a majority of its replicas is up, and no sooner.
//
// A request naming no partitions (null) asks about every partition, and the answer leaves out those already led
// by the replica asked for (Kafka: "we do not return partitions which already have the desired leader").

import { ErrorCode } from "../../protocol/error-codes.ts";
import type {
  ElectLeadersResponsePartitionResult,
  ElectLeadersResponseReplicaElectionResult,
} from "../../protocol/messages/elect-leaders.ts";
import { ApiKey } from "../../protocol/messages/registry.ts";
import { defineHandler } from "../api-handler.ts";
import type { BrokerContext } from "../broker-context.ts";

/** Kafka's ElectionType values. */
const ElectionType = { preferred: 0, unclean: 1 } as const;

/** Elections one request runs at once: each may be a peer call, and a request may name every partition. */
const electionsInFlightMax = 64;

interface PartitionAnswer {
  readonly errorCode: number;
  readonly errorMessage: string | null;
}

export function electLeadersHandler(context: BrokerContext) {
  const electOne = async (
    topicName: string,
    partition: number,
    electionType: number,
    timeoutMs: number,
  ): Promise<PartitionAnswer> => {
    const topic = context.metadata.state.topicByName(topicName);
    if (topic === undefined) {
      return { errorCode: ErrorCode.UnknownTopicOrPartition, errorMessage: `No such topic as ${topicName}` };
    }
    const assignment = topic.partitions[partition];
    if (assignment === undefined) {
      return {
        errorCode: ErrorCode.UnknownTopicOrPartition,
        errorMessage: `No such partition as ${topicName}-${partition}`,
      };
    }
    const leadership = context.partitions.leadership(topic.topicId, partition);
    if (electionType === ElectionType.unclean) {
      if (leadership !== null) return { errorCode: ErrorCode.ElectionNotNeeded, errorMessage: null };
      return {
        errorCode: ErrorCode.EligibleLeadersNotAvailable,
        errorMessage:
          "Raft elects only a replica holding every committed record: the partition gets a leader once a " +
          "majority of its replicas is up",
      };
    }
    if (leadership !== null && leadership.leaderId === assignment.replicas[0]) {
      return { errorCode: ErrorCode.ElectionNotNeeded, errorMessage: null };
    }
    return context.leaderElections.electPreferred({ topicId: topic.topicId, partition, timeoutMs });
  };

  return defineHandler({
    apiKey: ApiKey.ElectLeaders,
    minVersion: 0,
    maxVersion: 2,
    async handle(request) {
      const { electionType, timeoutMs } = request;
      const named = request.topicPartitions;
      if (electionType !== ElectionType.preferred && electionType !== ElectionType.unclean) {
        // Kafka's ElectLeadersRequest.getErrorResponse: the top-level error, repeated for every named partition.
        const errorMessage = `Unknown election type ${electionType}`;
        const results = (named ?? []).map(({ topic, partitions }) =>
          topicResult(
            topic,
            partitions.map((partitionId) => ({
              partitionId,
              errorCode: ErrorCode.InvalidRequest,
              errorMessage,
            })),
          ),
        );
        return response(ErrorCode.InvalidRequest, results);
      }
      const everyPartition = named === null;
      const asked: Array<{ topic: string; partitions: readonly number[] }> = everyPartition
        ? [...context.metadata.state.topics()].map((topic) => ({
            topic: topic.name,
            partitions: topic.partitions.map((_, index) => index),
          }))
        : named;
      const jobs = asked.flatMap(({ topic, partitions }) =>
        partitions.map((partition) => () => electOne(topic, partition, electionType, timeoutMs)),
      );
      const answers = await runBounded(jobs, electionsInFlightMax);
      let next = 0;
      const results = asked.map(({ topic, partitions }) => {
        const rows: ElectLeadersResponsePartitionResult[] = [];
        for (const partitionId of partitions) {
          const answer = answers[next++]!;
          if (everyPartition && answer.errorCode === ErrorCode.ElectionNotNeeded) continue;
          rows.push({ partitionId, ...answer, unknownTaggedFields: [] });
        }
        return topicResult(topic, rows);
      });
      return response(ErrorCode.None, results);
    },
  });
}

function topicResult(
  topic: string,
  partitionResult: Array<Omit<ElectLeadersResponsePartitionResult, "unknownTaggedFields">>,
): ElectLeadersResponseReplicaElectionResult {
  return {
    topic,
    partitionResult: partitionResult.map((row) => ({ ...row, unknownTaggedFields: [] })),
    unknownTaggedFields: [],
  };
}

function response(errorCode: number, replicaElectionResults: ElectLeadersResponseReplicaElectionResult[]) {
  return { throttleTimeMs: 0, errorCode, replicaElectionResults, unknownTaggedFields: [] };
}

/** Runs every job, at most `inFlightMax` at a time; the results in the jobs' order. */
async function runBounded<T>(jobs: ReadonlyArray<() => Promise<T>>, inFlightMax: number): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const index = next++;
      results[index] = await jobs[index]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlightMax, jobs.length) }, worker));
  return results;
}
