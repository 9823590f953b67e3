// The cluster's own peer calls (proto/chronik/cluster/v1/cluster.proto): the service a node serves beside its
// Raft transport, and the client side each node uses to reach its peers. Both check who is on the other end:
// a call from a node outside the voters, or from another cluster, is refused and logged once per sender, and
// nothing of it is applied. The servers and HTTP clients themselves are created in app/.

import { create } from "@bufbuild/protobuf";
import { type Client, Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import type { Logger } from "../base/logger.ts";
import {
  type ClusterService,
  ForwardMetadataResponseSchema,
  ForwardMetadataResponse_Outcome as Outcome,
  type Sender,
  SenderSchema,
} from "../gen/chronik/cluster/v1/cluster_pb.ts";
import { decodeMetadataRecord, encodeMetadataRecord } from "./metadata/metadata-records.ts";
import type { ForwardAnswer, ForwardRequest } from "./metadata/raft-metadata-service.ts";
import type { LeaderReport } from "./partition-leaders.ts";
import type { ElectionAnswer, ElectionRequest } from "./preferred-leaders.ts";

/** Who this node is, as its peer calls say and check. */
export interface ClusterIdentity {
  readonly nodeId: number;
  /** The voters every node must have been started with (--peers plus self), sorted. */
  readonly voters: readonly number[];
  /** This node's incarnation: the id written once in its data directory. */
  readonly incarnationId: string;
  /** The cluster id once the metadata holds one; null before. */
  clusterId(): string | null;
  /** This node's chronik version, told to peers that say hello (the admin API's cluster view). */
  readonly version: string;
  /** Whether this node's data directory is new and it has neither joined a cluster nor found it is rejoining one. */
  fresh(): boolean;
  /**
   * The incarnation this node's metadata registers for nodeId ("" when none), or null while this node has not
   * joined the cluster and caught up with its metadata.
   */
  registeredIncarnation(nodeId: number): string | null;
}

/** A peer's answer to Hello. */
export interface HelloAnswer {
  readonly nodeId: number;
  readonly clusterId: string;
  readonly voters: number[];
  /** The peer's chronik version (the admin API's cluster view). */
  readonly version: string;
  readonly fresh: boolean;
  /** Null while the peer has not joined the cluster; else the incarnation it registers for this node, or "". */
  readonly callerIncarnationId: string | null;
}

/** A peer's state in one Raft group as it answered GroupTerms; null where it hosts no such group. */
export interface GroupTermAnswer {
  readonly groupId: string;
  readonly term: number;
  readonly commitOffset: number;
  readonly lastOffset: number;
  readonly leading: boolean;
}

/** What GroupTerms reads of a hosted group. */
export interface GroupTermSource {
  readonly term: number;
  readonly commitOffset: number;
  readonly lastOffset: number;
  readonly isLeader: boolean;
}

/** Group ids one GroupTerms call may name. */
export const groupTermsIdsMax = 4096;

/** What the service does with calls that pass the checks. */
export interface ClusterServiceHandlers {
  /** A change planned on `fromNodeId`, which is alive as it asks (a restarting broker registers this way). */
  forwardMetadata(fromNodeId: number, request: ForwardRequest): Promise<ForwardAnswer>;
  /** False when this node is not the controller. */
  brokerHeartbeat(fromNodeId: number): boolean;
  reportLeaders(fromNodeId: number, leaders: readonly LeaderReport[]): void;
  /** The preferred leader election for a partition this node leads (PreferredLeaders.electHere). */
  electPreferredLeader(topicId: string, partition: number): Promise<ElectionAnswer>;
  /** The Raft group this node hosts under groupId, or undefined. */
  group(groupId: string): GroupTermSource | undefined;
}

export function clusterServiceImpl(
  identity: ClusterIdentity,
  handlers: ClusterServiceHandlers,
  logger: Logger,
): ServiceImpl<typeof ClusterService> {
  const refusedSenders = new Set<string>();
  const check = (sender: Sender | undefined): number => {
    const problem = senderProblem(identity, sender);
    if (problem === null) return sender!.nodeId;
    const key = `${sender?.nodeId}/${sender?.clusterId}`;
    if (!refusedSenders.has(key)) {
      refusedSenders.add(key);
      logger.warn("refusing peer calls", { from: sender?.nodeId, clusterId: sender?.clusterId, problem });
    }
    throw new ConnectError(problem, Code.PermissionDenied);
  };
  return {
    async forwardMetadata(request) {
      const from = check(request.sender);
      const answer = await handlers.forwardMetadata(from, {
        records: request.records.map((bytes) => decodeMetadataRecord(bytes)),
        basedOnOffset: Number(request.basedOnOffset),
      });
      return create(ForwardMetadataResponseSchema, toWire(answer));
    },
    brokerHeartbeat(request) {
      return { accepted: handlers.brokerHeartbeat(check(request.sender)) };
    },
    reportLeaders(request) {
      const from = check(request.sender);
      handlers.reportLeaders(
        from,
        request.leaders.map((leader) => ({
          topicId: leader.topicId,
          partition: leader.partition,
          leaderId: from,
          leaderEpoch: leader.leaderEpoch,
          isr: leader.isr,
        })),
      );
      return {};
    },
    async electPreferredLeader(request) {
      check(request.sender);
      const answer = await handlers.electPreferredLeader(request.topicId, request.partition);
      return { errorCode: answer.errorCode, errorMessage: answer.errorMessage ?? "" };
    },
    hello(request) {
      // No sender check: a node started with other voters must hear ours to say what is wrong.
      const caller = request.sender?.nodeId ?? -1;
      const registered = identity.registeredIncarnation(caller);
      return {
        nodeId: identity.nodeId,
        clusterId: identity.clusterId() ?? "",
        voters: [...identity.voters],
        version: identity.version,
        fresh: identity.fresh(),
        attached: registered !== null,
        callerIncarnationId: registered ?? "",
      };
    },
    groupTerms(request) {
      check(request.sender);
      if (request.groupIds.length > groupTermsIdsMax) {
        throw new ConnectError(`more than ${groupTermsIdsMax} group ids`, Code.InvalidArgument);
      }
      return {
        groups: request.groupIds.map((groupId) => {
          const group = handlers.group(groupId);
          if (group === undefined) return { groupId, hosted: false };
          return {
            groupId,
            hosted: true,
            term: BigInt(group.term),
            commitOffset: BigInt(group.commitOffset),
            lastOffset: BigInt(group.lastOffset),
            leading: group.isLeader,
          };
        }),
      };
    },
  };
}

/** Why a call from `sender` is refused, or null when it may proceed. */
export function senderProblem(identity: ClusterIdentity, sender: Sender | undefined): string | null {
  if (sender === undefined) return "the call does not say who sends it";
  if (sender.nodeId === identity.nodeId || !identity.voters.includes(sender.nodeId)) {
    return `node ${sender.nodeId} is not one of this cluster's voters [${identity.voters.join(",")}]`;
  }
  const ours = identity.clusterId();
  if (ours !== null && sender.clusterId !== "" && sender.clusterId !== ours) {
    return `node ${sender.nodeId} belongs to cluster ${sender.clusterId}, this is ${ours}`;
  }
  return null;
}

function toWire(answer: ForwardAnswer): { outcome: Outcome; offset: bigint; leaderId: number } {
  switch (answer.outcome) {
    case "committed":
      return { outcome: Outcome.COMMITTED, offset: BigInt(answer.offset), leaderId: -1 };
    case "stale":
      return { outcome: Outcome.STALE, offset: BigInt(answer.appliedOffset), leaderId: -1 };
    case "notLeader":
      return { outcome: Outcome.NOT_LEADER, offset: -1n, leaderId: answer.leaderId };
  }
}

function fromWire(response: { outcome: Outcome; offset: bigint; leaderId: number }): ForwardAnswer {
  switch (response.outcome) {
    case Outcome.COMMITTED:
      return { outcome: "committed", offset: Number(response.offset) };
    case Outcome.STALE:
      return { outcome: "stale", appliedOffset: Number(response.offset) };
    default:
      return { outcome: "notLeader", leaderId: response.leaderId };
  }
}

/** Per-call deadline of the cluster's own calls: each is small, and a stuck one must not hold a change. */
const clusterCallTimeoutMs = 5_000;
/**
 * Deadline of a forwarded metadata change: it waits its turn behind the controller's other changes and then for
 * the commit (a topic of thousands of partitions, under load, takes seconds). An answer lost to a deadline is
 * worse than a slow one: the change may be committed, and planned again it is refused (TOPIC_ALREADY_EXISTS
 * for the topic just created).
 */
const forwardCallTimeoutMs = 30_000;
/**
 * Bounds of an election call's deadline, which is the asker's own (ElectLeaders' timeoutMs): a hand-over takes
 * a few election timeouts at most, and an asker's longer patience must not pin a call for minutes.
 */
const electionCallTimeoutMsMin = 1_000;
const electionCallTimeoutMsMax = 30_000;

/** The client side: one Connect client per peer, each call stamped with this node's identity. */
export class ClusterPeers {
  constructor(
    private readonly identity: ClusterIdentity,
    private readonly clients: ReadonlyMap<number, Client<typeof ClusterService>>,
  ) {}

  get peerIds(): number[] {
    return [...this.clients.keys()];
  }

  async forwardMetadata(leaderId: number, request: ForwardRequest): Promise<ForwardAnswer> {
    const response = await this.client(leaderId).forwardMetadata(
      {
        sender: this.sender(),
        records: request.records.map((record) => encodeMetadataRecord(record)),
        basedOnOffset: BigInt(request.basedOnOffset),
      },
      { timeoutMs: forwardCallTimeoutMs },
    );
    return fromWire(response);
  }

  async brokerHeartbeat(controllerId: number): Promise<boolean> {
    const response = await this.client(controllerId).brokerHeartbeat(
      { sender: this.sender() },
      { timeoutMs: clusterCallTimeoutMs },
    );
    return response.accepted;
  }

  async reportLeaders(peerId: number, leaders: readonly LeaderReport[]): Promise<void> {
    await this.client(peerId).reportLeaders(
      {
        sender: this.sender(),
        leaders: leaders.map((leader) => ({
          topicId: leader.topicId,
          partition: leader.partition,
          leaderEpoch: leader.leaderEpoch,
          isr: [...leader.isr],
        })),
      },
      { timeoutMs: clusterCallTimeoutMs },
    );
  }

  async electPreferredLeader(leaderId: number, request: ElectionRequest): Promise<ElectionAnswer> {
    const timeoutMs = Math.min(
      Math.max(request.timeoutMs, electionCallTimeoutMsMin),
      electionCallTimeoutMsMax,
    );
    const response = await this.client(leaderId).electPreferredLeader(
      { sender: this.sender(), topicId: request.topicId, partition: request.partition },
      { timeoutMs },
    );
    return {
      errorCode: response.errorCode,
      errorMessage: response.errorMessage === "" ? null : response.errorMessage,
    };
  }

  async hello(peerId: number, timeoutMs = clusterCallTimeoutMs): Promise<HelloAnswer> {
    const response = await this.client(peerId).hello(
      {
        sender: this.sender(),
        voters: [...this.identity.voters],
        incarnationId: this.identity.incarnationId,
      },
      { timeoutMs },
    );
    return {
      nodeId: response.nodeId,
      clusterId: response.clusterId,
      voters: response.voters,
      version: response.version,
      fresh: response.fresh,
      callerIncarnationId: response.attached ? response.callerIncarnationId : null,
    };
  }

  /** The peer's term and commit offset in each group, as it answers now; null for groups it does not host. */
  async groupTerms(peerId: number, groupIds: readonly string[]): Promise<Array<GroupTermAnswer | null>> {
    const response = await this.client(peerId).groupTerms(
      { sender: this.sender(), groupIds: [...groupIds] },
      { timeoutMs: clusterCallTimeoutMs },
    );
    return groupIds.map((groupId, index) => {
      const answer = response.groups[index];
      if (answer === undefined || answer.groupId !== groupId || !answer.hosted) return null;
      return {
        groupId,
        term: Number(answer.term),
        commitOffset: Number(answer.commitOffset),
        lastOffset: Number(answer.lastOffset),
        leading: answer.leading,
      };
    });
  }

  private client(peerId: number): Client<typeof ClusterService> {
    const client = this.clients.get(peerId);
    if (client === undefined) throw new Error(`node ${peerId} is not a peer`);
    return client;
  }

  private sender(): Sender {
    return create(SenderSchema, {
      nodeId: this.identity.nodeId,
      clusterId: this.identity.clusterId() ?? "",
    });
  }
}
