// Shared helpers for the group coordinator tests: a coordinator with predictable member ids, request
// builders with ordinary defaults, and a log of every record the coordinator emitted.

import type { GroupCoordinatorConfig } from "../../../src/cluster/groups/group-config.ts";
import { GroupCoordinator } from "../../../src/cluster/groups/group-coordinator.ts";
import type { GroupRecord } from "../../../src/cluster/groups/group-records.ts";
import type {
  Completion,
  JoinGroupInput,
  JoinGroupResponse,
  Protocol,
  StepOutput,
  SyncGroupInput,
} from "../../../src/cluster/groups/group-types.ts";
import { ByteWriter } from "../../../src/protocol/primitives/byte-writer.ts";

/** A ConsumerProtocolSubscription v0: the topics, and no user data. */
export function subscription(topics: readonly string[]): Uint8Array {
  const writer = new ByteWriter();
  writer.int16(0);
  writer.int32(topics.length);
  for (const topic of topics) writer.nullableString(topic);
  writer.nullableBytes(null);
  return writer.finish();
}

export function protocols(names: readonly string[], topics: readonly string[] = ["topic-a"]): Protocol[] {
  return names.map((name) => ({ name, metadata: subscription(topics) }));
}

export const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

/** A JoinGroup of group "g" by a new member, with one "range" protocol and no subscription: tests override. */
export function joinGroupInput(overrides: Partial<JoinGroupInput> = {}): JoinGroupInput {
  return {
    requestToken: 1,
    apiVersion: 9,
    groupId: "g",
    memberId: "",
    groupInstanceId: null,
    clientId: "c",
    clientHost: "/127.0.0.1",
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 10_000,
    protocolType: "consumer",
    protocols: [{ name: "range", metadata: new Uint8Array(0) }],
    ...overrides,
  };
}

export class Harness {
  readonly coordinator: GroupCoordinator;
  readonly log: GroupRecord[] = [];
  private nextToken = 1;
  private uuidCount = 0;
  nowMs = 1_000_000;

  constructor(config: Partial<GroupCoordinatorConfig> = {}, uuidPrefix = "uuid") {
    this.coordinator = new GroupCoordinator({
      config: { initialRebalanceDelayMs: 0, ...config },
      newUuid: () => `${uuidPrefix}-${++this.uuidCount}`,
    });
  }

  token(): number {
    return this.nextToken++;
  }

  joinInput(overrides: Partial<JoinGroupInput> = {}): JoinGroupInput {
    return {
      requestToken: this.token(),
      apiVersion: 9,
      groupId: "g",
      memberId: "",
      groupInstanceId: null,
      clientId: "client",
      clientHost: "/127.0.0.1",
      sessionTimeoutMs: 10_000,
      rebalanceTimeoutMs: 30_000,
      protocolType: "consumer",
      protocols: protocols(["range"]),
      ...overrides,
    };
  }

  join(overrides: Partial<JoinGroupInput> = {}) {
    const input = this.joinInput(overrides);
    const answer = this.coordinator.joinGroup(input, this.nowMs);
    this.record(answer);
    return { ...answer, requestToken: input.requestToken };
  }

  /** The v4+ handshake: MEMBER_ID_REQUIRED, then the join with the id handed out. */
  joinWithHandshake(overrides: Partial<JoinGroupInput> = {}) {
    const first = this.join(overrides);
    if (first.response?.error !== "MEMBER_ID_REQUIRED") throw new Error(`expected MEMBER_ID_REQUIRED`);
    return this.join({ ...overrides, memberId: first.response.memberId });
  }

  sync(overrides: Partial<SyncGroupInput> & { memberId: string; generationId: number }) {
    const input: SyncGroupInput = {
      requestToken: this.token(),
      groupId: "g",
      groupInstanceId: null,
      protocolType: null,
      protocolName: null,
      assignments: [],
      ...overrides,
    };
    const answer = this.coordinator.syncGroup(input, this.nowMs);
    this.record(answer);
    return { ...answer, requestToken: input.requestToken };
  }

  heartbeat(memberId: string, generationId: number, groupInstanceId: string | null = null) {
    return this.coordinator.heartbeat({ groupId: "g", memberId, generationId, groupInstanceId }, this.nowMs)
      .error;
  }

  leave(members: { memberId: string; groupInstanceId?: string | null }[], groupId = "g") {
    const result = this.coordinator.leaveGroup(
      { groupId, members: members.map((member) => ({ groupInstanceId: null, ...member })) },
      this.nowMs,
    );
    this.record(result);
    return result;
  }

  tick(nowMs: number): StepOutput {
    this.nowMs = nowMs;
    const output = this.coordinator.tick(nowMs);
    this.record(output);
    return output;
  }

  record(output: StepOutput): void {
    this.log.push(...output.records);
  }

  state(groupId = "g") {
    return this.coordinator.inspectGroup(groupId)?.state;
  }
}

export function completionFor(
  completions: readonly Completion[],
  requestToken: number,
): Completion | undefined {
  return completions.find((completion) => completion.requestToken === requestToken);
}

/** The JoinGroup answer among the completions, for the request with this token. */
export function joinAnswerFor(
  completions: readonly Completion[],
  requestToken: number,
): JoinGroupResponse | undefined {
  const completion = completionFor(completions, requestToken);
  return completion?.kind === "join" ? completion.response : undefined;
}
