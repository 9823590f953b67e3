// Raft core throughput: entries committed per second by a 3-node in-memory group (no I/O, messages delivered
// in memory, proposals batched), and simulated steps per second of the deterministic simulator.
import { raftConfigDefaults } from "../src/raft/core/config.ts";
import { MemoryLog } from "../src/raft/core/memory-log.ts";
import { RaftNode } from "../src/raft/core/raft-node.ts";
import type { HardState, MembershipConfig, Message, Proposal } from "../src/raft/core/types.ts";
import { defaultSimulation, runSimulation } from "../test/sim/simulator.ts";

interface Member {
  readonly raft: RaftNode;
  readonly log: MemoryLog;
  hardState: HardState;
}

function createGroup(ids: readonly number[]): Map<number, Member> {
  const config: MembershipConfig = { voters: [...ids], learners: [] };
  const members = new Map<number, Member>();
  let state = 1;
  for (const id of ids) {
    const log = new MemoryLog(config);
    const hardState: HardState = { term: 0, votedFor: null, commitOffset: -1, config };
    const raft = new RaftNode({
      config: {
        ...raftConfigDefaults,
        id,
        randomInt: (bound) => {
          state = (state * 1103515245 + 12345) >>> 0;
          return state % bound;
        },
      },
      storage: log,
      hardState,
    });
    members.set(id, { raft, log, hardState });
  }
  return members;
}

/** One driver pass over every member: persist, send (deliver in memory), apply, advance. */
function pump(members: Map<number, Member>): number {
  let moved = 0;
  const outgoing: Message[] = [];
  for (const member of members.values()) {
    if (!member.raft.hasReady()) continue;
    const ready = member.raft.ready();
    member.log.append(ready.entriesToPersist);
    if (ready.hardState !== undefined) member.hardState = ready.hardState;
    for (const message of ready.messages) outgoing.push(message);
    member.raft.advance(ready);
    moved += 1;
  }
  for (const message of outgoing) members.get(message.to)!.raft.step(message);
  return moved + outgoing.length;
}

function settle(members: Map<number, Member>): void {
  for (let round = 0; round < 10_000 && pump(members) > 0; round++) {}
}

function benchCommit(batch: number, entriesTotal: number): { entriesPerSecond: number; messages: number } {
  const members = createGroup([1, 2, 3]);
  const leader = members.get(1)!.raft;
  leader.campaign();
  settle(members);
  const payload = new Uint8Array(100);
  const proposals: Proposal[] = Array.from({ length: batch }, () => ({
    recordCount: 1,
    byteSize: 100,
    payload,
  }));
  const startOffset = leader.commitOffset;
  const started = performance.now();
  let proposed = 0;
  while (proposed < entriesTotal) {
    const result = leader.propose(proposals);
    if (result.ok) proposed += batch;
    pump(members);
  }
  settle(members);
  const seconds = (performance.now() - started) / 1000;
  const committed = leader.commitOffset - startOffset;
  if (committed !== proposed) throw new Error(`committed ${committed} of ${proposed}`);
  return { entriesPerSecond: committed / seconds, messages: 0 };
}

function benchSimulator(seeds: number): { stepsPerSecond: number; messagesPerSecond: number } {
  let steps = 0;
  let messages = 0;
  const started = performance.now();
  for (let seed = 1; seed <= seeds; seed++) {
    const result = runSimulation({ ...defaultSimulation, seed });
    if (!result.ok) throw new Error(`seed ${seed} failed: ${result.failure}`);
    steps += result.stats.steps;
    messages += result.stats.messages;
  }
  const seconds = (performance.now() - started) / 1000;
  return { stepsPerSecond: steps / seconds, messagesPerSecond: messages / seconds };
}

function row(cells: readonly string[]): string {
  return cells.map((cell, index) => (index === 0 ? cell.padEnd(44) : cell.padStart(16))).join("");
}

benchCommit(64, 50_000); // warm up the JIT
console.log(row(["3-node in-memory group, 100-byte entries", "entries/s"]));
for (const batch of [1, 16, 64, 256, 1024]) {
  const { entriesPerSecond } = benchCommit(batch, batch === 1 ? 100_000 : 500_000);
  console.log(
    row([`  ${batch} proposals per propose() call`, Math.round(entriesPerSecond).toLocaleString("en-US")]),
  );
}
const simulator = benchSimulator(100);
console.log(row(["simulator (3 nodes, full fault profile)", "steps/s"]));
console.log(
  row([
    "  steps, invariants checked after each",
    Math.round(simulator.stepsPerSecond).toLocaleString("en-US"),
  ]),
);
console.log(
  row(["  messages delivered", `${Math.round(simulator.messagesPerSecond).toLocaleString("en-US")}/s`]),
);
