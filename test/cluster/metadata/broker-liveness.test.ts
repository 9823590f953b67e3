// Proves the controller fences a broker silent past its session and unfences it when heard again, writes only
// changes, and a new controller gives every broker a fresh session instead of fencing them all at once.

import { expect, test } from "bun:test";
import { BrokerLiveness } from "../../../src/cluster/metadata/broker-liveness.ts";
import { MetadataState } from "../../../src/cluster/metadata/metadata-state.ts";

function stateWithBrokers(ids: number[]): MetadataState {
  const state = new MetadataState();
  for (const nodeId of ids) state.apply({ type: "broker", nodeId, host: "h", port: nodeId, rack: null });
  return state;
}

test("silence past the session fences; a heartbeat unfences; nothing else is written", () => {
  const state = stateWithBrokers([1, 2, 3]);
  const liveness = new BrokerLiveness(9_000);
  liveness.reset(state, 0);
  expect(liveness.changes(state, 5_000)).toEqual([]);
  liveness.heard(1, 8_000);
  liveness.heard(2, 8_000);
  const fence = liveness.changes(state, 9_500);
  expect(fence).toEqual([{ type: "broker-fencing", nodeId: 3, fenced: true }]);
  for (const record of fence) state.apply(record);
  expect(state.liveBrokers().map((broker) => broker.nodeId)).toEqual([1, 2]);
  expect(liveness.changes(state, 9_600)).toEqual([]);
  liveness.heard(3, 10_000);
  expect(liveness.changes(state, 10_000)).toEqual([{ type: "broker-fencing", nodeId: 3, fenced: false }]);
});

test("a new controller starts every broker's session afresh", () => {
  const state = stateWithBrokers([1, 2]);
  const liveness = new BrokerLiveness(9_000);
  liveness.reset(state, 100_000);
  expect(liveness.changes(state, 105_000)).toEqual([]);
  expect(liveness.changes(state, 109_001).map((record) => record.type)).toEqual([
    "broker-fencing",
    "broker-fencing",
  ]);
});

test("fencing survives a snapshot of the state", () => {
  const state = stateWithBrokers([1, 2]);
  state.apply({ type: "broker-fencing", nodeId: 2, fenced: true });
  const copy = new MetadataState();
  for (const record of state.toRecords()) copy.apply(record);
  expect(copy.broker(2)!.fenced).toBe(true);
  expect(copy.liveBrokers().map((broker) => broker.nodeId)).toEqual([1]);
});
