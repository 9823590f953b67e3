// The controller's view of which brokers are alive (KRaft's BrokerHeartbeatManager, simplified): every broker
// heartbeats to the metadata leader; one silent for longer than the session timeout is fenced through the
// metadata log, and unfenced by its next heartbeat. Only changes are written, never the heartbeats themselves.
// A new controller gives every broker a fresh session, as it cannot know when they were last heard. Pure: the
// time comes in as arguments.

import type { MetadataRecord } from "./metadata-records.ts";
import type { MetadataState } from "./metadata-state.ts";

export class BrokerLiveness {
  private readonly lastHeardMs = new Map<number, number>();

  /** @param sessionTimeoutMs Kafka's broker.session.timeout.ms: silence longer than this fences a broker. */
  constructor(private readonly sessionTimeoutMs: number) {}

  heard(nodeId: number, nowMs: number): void {
    this.lastHeardMs.set(nodeId, nowMs);
  }

  /** On becoming the controller: every registered broker starts a fresh session now. */
  reset(state: MetadataState, nowMs: number): void {
    this.lastHeardMs.clear();
    for (const broker of state.brokers()) this.lastHeardMs.set(broker.nodeId, nowMs);
  }

  isAlive(nodeId: number, nowMs: number): boolean {
    const heard = this.lastHeardMs.get(nodeId);
    return heard !== undefined && nowMs - heard <= this.sessionTimeoutMs;
  }

  /** The fencing records due now: silent unfenced brokers are fenced, heard fenced ones unfenced. */
  changes(state: MetadataState, nowMs: number): MetadataRecord[] {
    const records: MetadataRecord[] = [];
    for (const broker of state.brokers()) {
      const alive = this.isAlive(broker.nodeId, nowMs);
      if (alive === !broker.fenced) continue;
      records.push({ type: "broker-fencing", nodeId: broker.nodeId, fenced: !alive });
    }
    return records;
  }
}
