// A minimal in-memory Kafka responder that records every frame real clients exchange with it. It answers just
// enough (one broker, one partition per topic, a single-member group) for kcat, librdkafka, kafka-python and
// kafkajs to produce, fetch, join a group and commit, so that their exact request bytes can be kept as
// fixtures. It is a recording tool for scripts/capture-client-fixtures.ts, not a broker: Chronik's broker
// lives in src/broker.

import { ErrorCode } from "../../src/protocol/error-codes.ts";
import { decodeRequestPayload, encodeResponseFrame } from "../../src/protocol/frame.ts";
import { ApiKey, type ApiMessages, apiCodecs, apiDefinition } from "../../src/protocol/messages/registry.ts";
import { batchOffsets, scanBatches, stampBatch } from "../../src/protocol/records/batch-header.ts";

export interface RecordedExchange {
  apiKey: number;
  apiName: string;
  apiVersion: number;
  /** The request frame as received, size prefix included. */
  request: Uint8Array;
  /** The response frame as sent, size prefix included; null when none was sent (acks=0). */
  response: Uint8Array | null;
}

/** The APIs this responder answers, with the highest version it speaks (what its ApiVersions advertises). */
const answered: Record<number, number> = {
  [ApiKey.ApiVersions]: 3,
  [ApiKey.Metadata]: 12,
  [ApiKey.Produce]: 11,
  [ApiKey.Fetch]: 16,
  [ApiKey.ListOffsets]: 9,
  [ApiKey.FindCoordinator]: 5,
  [ApiKey.JoinGroup]: 9,
  [ApiKey.SyncGroup]: 5,
  [ApiKey.Heartbeat]: 4,
  [ApiKey.LeaveGroup]: 5,
  [ApiKey.OffsetCommit]: 9,
  [ApiKey.OffsetFetch]: 9,
  [ApiKey.InitProducerId]: 5,
};

const nodeId = 1;

/** Topic ids derived from the name, so recordings are reproducible. */
function topicIdOf(name: string): string {
  const bytes = new Uint8Array(16);
  const encoded = new TextEncoder().encode(name);
  for (let index = 0; index < encoded.length; index++) bytes[index % 16]! ^= encoded[index]!;
  bytes[15] = bytes[15]! | 1;
  return bytes.toBase64({ alphabet: "base64url", omitPadding: true });
}

class FixtureState {
  readonly logs = new Map<string, Uint8Array[]>();
  readonly nextOffsets = new Map<string, bigint>();
  readonly committed = new Map<string, bigint>();
  readonly assignments = new Map<string, Uint8Array>();
  memberCounter = 0;

  append(topic: string, records: Uint8Array): bigint {
    const baseOffset = this.nextOffsets.get(topic) ?? 0n;
    const { spans } = scanBatches(records, { verifyCrc: false });
    let next = baseOffset;
    const log = this.logs.get(topic) ?? [];
    for (const span of spans) {
      const batch = records.slice(span.position, span.position + span.size);
      const view = new DataView(batch.buffer);
      stampBatch(batch, 0, next, 0);
      next += BigInt(view.getInt32(batchOffsets.lastOffsetDelta) + 1);
      log.push(batch);
    }
    this.logs.set(topic, log);
    this.nextOffsets.set(topic, next);
    return baseOffset;
  }

  read(topic: string, fromOffset: bigint): Uint8Array {
    const batches = (this.logs.get(topic) ?? []).filter((batch) => {
      const view = new DataView(batch.buffer);
      return (
        view.getBigInt64(batchOffsets.baseOffset) + BigInt(view.getInt32(batchOffsets.lastOffsetDelta)) >=
        fromOffset
      );
    });
    const out = new Uint8Array(batches.reduce((sum, batch) => sum + batch.length, 0));
    let position = 0;
    for (const batch of batches) {
      out.set(batch, position);
      position += batch.length;
    }
    return out;
  }
}

type Handler = (body: never, version: number, state: FixtureState, port: number) => unknown;

function answerApiVersions(_body: ApiMessages[18]["request"], version: number) {
  const response = apiCodecs(ApiKey.ApiVersions).response.create();
  if (version > answered[ApiKey.ApiVersions]!) response.errorCode = ErrorCode.UnsupportedVersion;
  response.apiKeys = Object.entries(answered).map(([apiKey, maxVersion]) => ({
    apiKey: Number(apiKey),
    minVersion: apiDefinition(Number(apiKey))!.request.minVersion,
    maxVersion,
    unknownTaggedFields: [],
  }));
  return response;
}

function answerMetadata(
  body: ApiMessages[3]["request"],
  _version: number,
  state: FixtureState,
  port: number,
) {
  const response = apiCodecs(ApiKey.Metadata).response.create();
  response.brokers = [{ nodeId, host: "127.0.0.1", port, rack: null, unknownTaggedFields: [] }];
  response.clusterId = "fixture-cluster";
  response.controllerId = nodeId;
  const names = body.topics === null ? [...state.logs.keys()] : body.topics.map((topic) => topic.name ?? "");
  response.topics = names.map((name) => ({
    errorCode: 0,
    name,
    topicId: topicIdOf(name),
    isInternal: false,
    partitions: [
      {
        errorCode: 0,
        partitionIndex: 0,
        leaderId: nodeId,
        leaderEpoch: 0,
        replicaNodes: [nodeId],
        isrNodes: [nodeId],
        offlineReplicas: [],
        unknownTaggedFields: [],
      },
    ],
    topicAuthorizedOperations: -2147483648,
    unknownTaggedFields: [],
  }));
  for (const name of names) if (!state.logs.has(name)) state.logs.set(name, []);
  return response;
}

function answerProduce(body: ApiMessages[0]["request"], _version: number, state: FixtureState) {
  if (body.acks === 0) {
    for (const topic of body.topicData) {
      for (const partition of topic.partitionData)
        if (partition.records) state.append(topic.name, partition.records);
    }
    return null;
  }
  const response = apiCodecs(ApiKey.Produce).response.create();
  response.responses = body.topicData.map((topic) => ({
    name: topic.name,
    topicId: topicIdOf(topic.name),
    partitionResponses: topic.partitionData.map((partition) => ({
      index: partition.index,
      errorCode: 0,
      baseOffset: partition.records ? state.append(topic.name, partition.records) : 0n,
      logAppendTimeMs: -1n,
      logStartOffset: 0n,
      recordErrors: [],
      errorMessage: null,
      currentLeader: { leaderId: nodeId, leaderEpoch: 0, unknownTaggedFields: [] },
      unknownTaggedFields: [],
    })),
    unknownTaggedFields: [],
  })) as never;
  return response;
}

async function answerFetch(body: ApiMessages[1]["request"], _version: number, state: FixtureState) {
  const response = apiCodecs(ApiKey.Fetch).response.create();
  const nameOf = (topic: { topic: string; topicId: string }) =>
    topic.topic !== ""
      ? topic.topic
      : ([...state.logs.keys()].find((name) => topicIdOf(name) === topic.topicId) ?? "");
  const read = () =>
    body.topics.map((topic) => ({
      topic: topic.topic,
      topicId: topic.topicId,
      partitions: topic.partitions.map((partition) => {
        const name = nameOf(topic);
        const records = state.read(name, partition.fetchOffset);
        return { partition: partition.partition, records, end: state.nextOffsets.get(name) ?? 0n };
      }),
    }));
  let results = read();
  if (results.every((topic) => topic.partitions.every((partition) => partition.records.length === 0))) {
    await Bun.sleep(Math.min(body.maxWaitMs, 200));
    results = read();
  }
  response.responses = results.map((topic) => ({
    topic: topic.topic,
    topicId: topic.topicId,
    partitions: topic.partitions.map((partition) => {
      return {
        partitionIndex: partition.partition,
        errorCode: 0,
        highWatermark: partition.end,
        lastStableOffset: partition.end,
        logStartOffset: 0n,
        divergingEpoch: { epoch: -1, endOffset: -1n, unknownTaggedFields: [] },
        currentLeader: { leaderId: -1, leaderEpoch: -1, unknownTaggedFields: [] },
        snapshotId: { endOffset: -1n, epoch: -1, unknownTaggedFields: [] },
        abortedTransactions: null,
        preferredReadReplica: -1,
        records: partition.records,
        unknownTaggedFields: [],
      };
    }),
    unknownTaggedFields: [],
  }));
  return response;
}

function answerListOffsets(body: ApiMessages[2]["request"], _version: number, state: FixtureState) {
  const response = apiCodecs(ApiKey.ListOffsets).response.create();
  response.topics = body.topics.map((topic) => ({
    name: topic.name,
    partitions: topic.partitions.map((partition) => {
      const offset = partition.timestamp === -2n ? 0n : (state.nextOffsets.get(topic.name) ?? 0n);
      return {
        partitionIndex: partition.partitionIndex,
        errorCode: 0,
        oldStyleOffsets: [offset],
        timestamp: -1n,
        offset,
        leaderEpoch: 0,
        unknownTaggedFields: [],
      };
    }),
    unknownTaggedFields: [],
  }));
  return response;
}

function answerFindCoordinator(
  body: ApiMessages[10]["request"],
  _version: number,
  _state: FixtureState,
  port: number,
) {
  const response = apiCodecs(ApiKey.FindCoordinator).response.create();
  Object.assign(response, { errorCode: 0, errorMessage: null, nodeId, host: "127.0.0.1", port });
  response.coordinators = body.coordinatorKeys.map((key) => ({
    key,
    nodeId,
    host: "127.0.0.1",
    port,
    errorCode: 0,
    errorMessage: null,
    unknownTaggedFields: [],
  }));
  return response;
}

function answerJoinGroup(body: ApiMessages[11]["request"], version: number, state: FixtureState) {
  const response = apiCodecs(ApiKey.JoinGroup).response.create();
  if (body.memberId === "" && version >= 4) {
    response.errorCode = ErrorCode.MemberIdRequired;
    response.memberId = `fixture-member-${++state.memberCounter}`;
    return response;
  }
  const memberId = body.memberId !== "" ? body.memberId : `fixture-member-${++state.memberCounter}`;
  const protocol = body.protocols[0]!;
  Object.assign(response, {
    generationId: 1,
    protocolType: body.protocolType,
    protocolName: protocol.name,
    leader: memberId,
    memberId,
  });
  response.members = [
    { memberId, groupInstanceId: body.groupInstanceId, metadata: protocol.metadata, unknownTaggedFields: [] },
  ];
  return response;
}

function answerSyncGroup(body: ApiMessages[14]["request"], _version: number, state: FixtureState) {
  const response = apiCodecs(ApiKey.SyncGroup).response.create();
  for (const assignment of body.assignments)
    state.assignments.set(assignment.memberId, assignment.assignment);
  response.protocolType = body.protocolType;
  response.protocolName = body.protocolName;
  response.assignment = state.assignments.get(body.memberId) ?? new Uint8Array(0);
  return response;
}

function answerOffsetCommit(body: ApiMessages[8]["request"], _version: number, state: FixtureState) {
  const response = apiCodecs(ApiKey.OffsetCommit).response.create();
  response.topics = body.topics.map((topic) => ({
    name: topic.name,
    partitions: topic.partitions.map((partition) => {
      state.committed.set(
        `${body.groupId}/${topic.name}/${partition.partitionIndex}`,
        partition.committedOffset,
      );
      return { partitionIndex: partition.partitionIndex, errorCode: 0, unknownTaggedFields: [] };
    }),
    unknownTaggedFields: [],
  }));
  return response;
}

function answerOffsetFetch(body: ApiMessages[9]["request"], version: number, state: FixtureState) {
  const response = apiCodecs(ApiKey.OffsetFetch).response.create();
  const topicsOf = (groupId: string, topics: Array<{ name: string; partitionIndexes: number[] }> | null) =>
    (topics ?? []).map((topic) => ({
      name: topic.name,
      partitions: topic.partitionIndexes.map((partitionIndex) => ({
        partitionIndex,
        committedOffset: state.committed.get(`${groupId}/${topic.name}/${partitionIndex}`) ?? -1n,
        committedLeaderEpoch: -1,
        metadata: "",
        errorCode: 0,
        unknownTaggedFields: [],
      })),
      unknownTaggedFields: [],
    }));
  if (version >= 8) {
    response.groups = body.groups.map((group) => ({
      groupId: group.groupId,
      topics: topicsOf(group.groupId, group.topics),
      errorCode: 0,
      unknownTaggedFields: [],
    })) as never;
  } else response.topics = topicsOf(body.groupId, body.topics) as never;
  return response;
}

function answerInitProducerId() {
  const response = apiCodecs(ApiKey.InitProducerId).response.create();
  response.producerId = 1000n;
  response.producerEpoch = 0;
  return response;
}

function emptyAnswer(apiKey: number) {
  return () => apiDefinition(apiKey)!.response.create();
}

const handlers: Record<number, Handler> = {
  [ApiKey.ApiVersions]: answerApiVersions as Handler,
  [ApiKey.Metadata]: answerMetadata as Handler,
  [ApiKey.Produce]: answerProduce as Handler,
  [ApiKey.Fetch]: answerFetch as Handler,
  [ApiKey.ListOffsets]: answerListOffsets as Handler,
  [ApiKey.FindCoordinator]: answerFindCoordinator as Handler,
  [ApiKey.JoinGroup]: answerJoinGroup as Handler,
  [ApiKey.SyncGroup]: answerSyncGroup as Handler,
  [ApiKey.Heartbeat]: emptyAnswer(ApiKey.Heartbeat) as Handler,
  [ApiKey.LeaveGroup]: emptyAnswer(ApiKey.LeaveGroup) as Handler,
  [ApiKey.OffsetCommit]: answerOffsetCommit as Handler,
  [ApiKey.OffsetFetch]: answerOffsetFetch as Handler,
  [ApiKey.InitProducerId]: answerInitProducerId as Handler,
};

export interface FixtureBroker {
  port: number;
  exchanges: RecordedExchange[];
  stop(): void;
}

/** Starts the responder on a free loopback port; every exchange lands in `exchanges` in arrival order. */
export function startFixtureBroker(): FixtureBroker {
  const state = new FixtureState();
  const exchanges: RecordedExchange[] = [];
  const buffers = new Map<object, Uint8Array>();
  // Responses leave in request order per connection: each connection's answers form one promise chain.
  const chains = new Map<object, Promise<unknown>>();
  function answerInOrder(connection: object, frame: Uint8Array): Promise<Uint8Array | null> {
    const result = (chains.get(connection) ?? Promise.resolve()).then(() => respond(frame));
    chains.set(
      connection,
      result.catch(() => null),
    );
    return result;
  }
  const server = Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      data(socket, chunk) {
        const previous = buffers.get(socket) ?? new Uint8Array(0);
        let pending = new Uint8Array(previous.length + chunk.length);
        pending.set(previous);
        pending.set(chunk, previous.length);
        for (;;) {
          if (pending.length < 4) break;
          const size = new DataView(pending.buffer, pending.byteOffset).getInt32(0);
          if (pending.length < 4 + size) break;
          const frame = pending.slice(0, 4 + size);
          pending = pending.slice(4 + size);
          void answerInOrder(socket, frame).then((response) => response && socket.write(response));
        }
        buffers.set(socket, pending);
      },
      close(socket) {
        buffers.delete(socket);
        chains.delete(socket);
      },
    },
  });
  async function respond(frame: Uint8Array): Promise<Uint8Array | null> {
    const decoded = decodeRequestPayload(frame.subarray(4), { allowTrailingBytes: false });
    const header = decoded.header;
    const exchange: RecordedExchange = {
      apiKey: header.requestApiKey,
      apiName: apiDefinition(header.requestApiKey)?.name ?? `Api${header.requestApiKey}`,
      apiVersion: header.requestApiVersion,
      request: frame,
      response: null,
    };
    exchanges.push(exchange);
    const handler = handlers[header.requestApiKey];
    if (decoded.kind !== "request" || !handler) {
      if (header.requestApiKey !== ApiKey.ApiVersions) return null;
      const body = answerApiVersions({} as never, Number.MAX_SAFE_INTEGER);
      exchange.response = encodeResponseFrame(
        { apiKey: ApiKey.ApiVersions, apiVersion: 0, correlationId: header.correlationId },
        body,
      );
      return exchange.response;
    }
    const body = await handler(decoded.body as never, header.requestApiVersion, state, server.port);
    if (body === null) return null;
    exchange.response = encodeResponseFrame(
      {
        apiKey: header.requestApiKey,
        apiVersion: header.requestApiVersion,
        correlationId: header.correlationId,
      },
      body,
    );
    return exchange.response;
  }
  return { port: server.port, exchanges, stop: () => server.stop(true) };
}
