// A scripted cluster for scenario tests: synchronous delivery, cut links and message filters, in the style of
// etcd/raft's test network. Each member persists through the simulator's SimNode driver.

import { Prng } from "../../src/base/prng.ts";
import type { RaftConfig, TestingOnlyBug } from "../../src/raft/core/config.ts";
import type { RaftNode } from "../../src/raft/core/raft-node.ts";
import type { Entry, MembershipConfig, Message, NodeId } from "../../src/raft/core/types.ts";
import { SimNode } from "../sim/sim-node.ts";

export interface ClusterOptions {
  readonly voters: readonly NodeId[];
  readonly learners?: readonly NodeId[];
  /** Nodes that exist but are not members yet (to be added by a config change). */
  readonly spares?: readonly NodeId[];
  readonly overrides?: Partial<RaftConfig>;
  readonly testingOnlyBug?: TestingOnlyBug;
  readonly seed?: number;
}

export class TestCluster {
  readonly members = new Map<NodeId, SimNode>();
  private readonly cut = new Set<string>();
  /** Messages for which this returns true are dropped. */
  dropIf: (message: Message) => boolean = () => false;
  /** Rewrites a message in flight (for example to strip entries, as if part of it was lost). */
  rewrite: (message: Message) => Message = (message) => message;
  readonly applied = new Map<NodeId, Entry[]>();
  delivered = 0;

  constructor(options: ClusterOptions) {
    const rng = new Prng(options.seed ?? 1);
    const config: MembershipConfig = { voters: [...options.voters], learners: [...(options.learners ?? [])] };
    const overrides = { preVote: false, checkQuorum: false, ...options.overrides };
    const all = [...options.voters, ...(options.learners ?? []), ...(options.spares ?? [])];
    for (const id of all) {
      this.members.set(id, new SimNode(id, overrides, rng.fork(), config, options.testingOnlyBug));
      this.applied.set(id, []);
    }
  }

  node(id: NodeId): RaftNode {
    const raft = this.members.get(id)?.raft;
    if (raft === undefined) throw new Error(`node ${id} is down`);
    return raft;
  }

  sim(id: NodeId): SimNode {
    return this.members.get(id)!;
  }

  /** Cuts both directions between id and every other node. */
  isolate(id: NodeId): void {
    for (const other of this.members.keys()) {
      if (other === id) continue;
      this.cut.add(`${id}>${other}`);
      this.cut.add(`${other}>${id}`);
    }
  }

  cutOneWay(from: NodeId, to: NodeId): void {
    this.cut.add(`${from}>${to}`);
  }

  heal(): void {
    this.cut.clear();
    this.dropIf = () => false;
    this.rewrite = (message) => message;
  }

  /** Replaces a member's durable log by single-record entries with these epochs, at the given term. */
  presetLog(id: NodeId, epochs: readonly number[], term: number): void {
    const sim = this.sim(id);
    const entries: Entry[] = epochs.map((epoch, offset) => ({
      baseOffset: offset,
      lastOffset: offset,
      epoch,
      kind: "data",
      byteSize: 10,
      payload: payload(epoch * 1000 + offset),
    }));
    sim.durable.log.truncateFrom(0);
    sim.durable.log.append(entries);
    sim.durable.hardState = { ...sim.durable.hardState, term, votedFor: null };
    sim.start();
  }

  restart(id: NodeId): void {
    this.sim(id).start();
  }

  crash(id: NodeId): void {
    this.sim(id).crash();
  }

  tick(id: NodeId, count = 1): void {
    for (let index = 0; index < count; index++) this.node(id).tick();
  }

  tickAll(count = 1): void {
    for (let index = 0; index < count; index++) {
      for (const sim of this.members.values()) sim.raft?.tick();
      this.stabilize();
    }
  }

  /** Runs Readies and delivers messages until nothing moves (bounded). */
  stabilize(roundsMax = 1000): void {
    for (let round = 0; round < roundsMax; round++) {
      const outgoing: Message[] = [];
      for (const sim of this.members.values()) {
        if (sim.raft === undefined || !sim.raft.hasReady()) continue;
        const outcome = sim.processReady(false, (node, entry) => this.applied.get(node.id)!.push(entry));
        outgoing.push(...outcome.ready.messages);
      }
      if (outgoing.length === 0) return;
      for (const message of outgoing) this.deliver(message);
    }
    throw new Error("cluster did not stabilize");
  }

  private deliver(message: Message): void {
    if (this.cut.has(`${message.from}>${message.to}`) || this.dropIf(message)) return;
    const target = this.members.get(message.to)?.raft;
    if (target === undefined) return;
    this.delivered += 1;
    target.step(this.rewrite(message));
  }

  elect(id: NodeId): void {
    this.node(id).campaign();
    this.stabilize();
  }

  /** Proposes count single-record entries of byteSize each at id. */
  propose(id: NodeId, count = 1, byteSize = 10): number {
    const proposals = Array.from({ length: count }, (_, index) => ({
      recordCount: 1,
      byteSize,
      payload: payload(90000 + index),
    }));
    const result = this.node(id).propose(proposals);
    if (!result.ok) throw new Error(`proposal refused: ${result.refusal}`);
    this.stabilize();
    return result.lastOffset;
  }

  /** (offset, epoch) of every batch in a member's durable log. */
  durableLog(id: NodeId): string[] {
    return this.sim(id)
      .durable.log.allEntries()
      .map((entry) => `${entry.baseOffset}-${entry.lastOffset}@${entry.epoch}`);
  }
}

export function payload(id: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, id);
  return bytes;
}
