// The consumer (KIP-848) group coordinator's settings, named after Kafka's broker configs, units last.

import type { AssignorName } from "./assignor.ts";

export interface ConsumerGroupConfig {
  /** group.consumer.heartbeat.interval.ms: returned to every member as the pace of its heartbeats. */
  heartbeatIntervalMs: number;
  /** group.consumer.session.timeout.ms: a member silent this long is removed from its group. */
  sessionTimeoutMs: number;
  /** group.consumer.max.size: a new member beyond it gets GROUP_MAX_SIZE_REACHED. */
  groupMaxSize: number;
  /** group.consumer.assignors, the first being the default when no member names one. */
  assignors: readonly AssignorName[];
}

export const defaultConsumerGroupConfig: ConsumerGroupConfig = {
  heartbeatIntervalMs: 5_000,
  sessionTimeoutMs: 45_000,
  groupMaxSize: 0x7fff_ffff,
  assignors: ["uniform", "range"],
};

/**
 * A group's own settings (KIP-848's group configs consumer.session.timeout.ms and consumer.heartbeat.interval.ms),
 * over the coordinator's; asked on every heartbeat, so a change applies from a member's next one.
 */
export type GroupConfigLookup = (
  groupId: string,
) => Readonly<Partial<Pick<ConsumerGroupConfig, "heartbeatIntervalMs" | "sessionTimeoutMs">>>;
