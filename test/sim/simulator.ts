// The deterministic cluster simulator: one seed drives nodes, network faults, crashes, clock skew and clients;
// invariants are checked after every step, then a liveness phase demands progress once everything heals.

import { Prng } from "../../src/base/prng.ts";
import type { TestingOnlyBug } from "../../src/raft/core/config.ts";
import type { Entry, MembershipConfig, NodeId } from "../../src/raft/core/types.ts";
import { Checker, SafetyViolation } from "./invariants.ts";
import { Network } from "./network.ts";
import { chainHash, SimNode } from "./sim-node.ts";

export interface SimulationOptions {
  readonly seed: number;
  readonly nodeCount: 3 | 5;
  /** Time units of the chaos phase; a node ticks every 8 to 12 units. */
  readonly chaosSteps: number;
  /** Ticks the healed cluster gets to elect a leader and commit a proposal, plus one per offset of backlog. */
  readonly livenessTicksMax: number;
  readonly testingOnlyBug?: TestingOnlyBug;
}

export interface SimulationResult {
  readonly ok: boolean;
  readonly seed: number;
  readonly failure?: string;
  readonly step: number;
  readonly stats: SimulationStats;
}

export interface SimulationStats {
  steps: number;
  messages: number;
  proposals: number;
  committedOffset: number;
  crashes: number;
  tornCrashes: number;
  partitions: number;
  compactions: number;
  leaders: number;
  configChanges: number;
  writeAheads: number;
}

/** Chances per time unit (or per Ready, for crashMidReady). */
interface FaultProfile {
  readonly crash: number;
  readonly crashMidReady: number;
  readonly partition: number;
  readonly heal: number;
  readonly compact: number;
  readonly propose: number;
  readonly skewChange: number;
  /** Leader churn: isolate or crash whichever node leads (the figure 8 situations need this). */
  readonly disruptLeader: number;
  /** The leader proposes a membership change: remove a voter, add it back as a learner, promote it. */
  readonly changeMembership: number;
}

export const defaultSimulation = { nodeCount: 3, chaosSteps: 3000, livenessTicksMax: 200 } as const;

export function runSimulation(options: SimulationOptions): SimulationResult {
  const simulation = new Simulation(options);
  try {
    simulation.chaos();
    simulation.liveness();
    return { ok: true, seed: options.seed, step: simulation.now, stats: simulation.stats };
  } catch (error) {
    const failure = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return { ok: false, seed: options.seed, failure, step: simulation.now, stats: simulation.stats };
  }
}

class Simulation {
  readonly rng: Prng;
  readonly nodes: SimNode[] = [];
  readonly network: Network;
  readonly checker = new Checker();
  readonly faults: FaultProfile;
  readonly stats: SimulationStats = {
    steps: 0,
    messages: 0,
    proposals: 0,
    committedOffset: -1,
    crashes: 0,
    tornCrashes: 0,
    partitions: 0,
    compactions: 0,
    leaders: 0,
    configChanges: 0,
    writeAheads: 0,
  };
  now = 0;
  private readonly tickPeriod = new Map<NodeId, number>();
  private readonly nextTickAt = new Map<NodeId, number>();
  private readonly restartAt = new Map<NodeId, number>();
  private nextProposalId = 1;
  private faultsOn = true;

  constructor(private readonly options: SimulationOptions) {
    this.rng = new Prng(options.seed);
    const ids = Array.from({ length: options.nodeCount }, (_, index) => index + 1);
    const initial: MembershipConfig = { voters: ids, learners: [] };
    const rng = this.rng;
    this.faults = {
      crash: rng.pick([0.0005, 0.001, 0.003]),
      crashMidReady: rng.pick([0, 0.002, 0.01]),
      partition: rng.pick([0.001, 0.003, 0.006]),
      heal: rng.pick([0.002, 0.005]),
      compact: rng.pick([0, 0.002, 0.01]),
      propose: rng.pick([0.05, 0.2, 0.5]),
      skewChange: 0.001,
      disruptLeader: rng.pick([0, 0.002, 0.01]),
      changeMembership: rng.pick([0, 0.002, 0.005]),
    };
    this.network = new Network(rng.fork(), {
      dropProbability: rng.pick([0, 0.02, 0.1, 0.2]),
      duplicateProbability: rng.pick([0, 0.02, 0.05]),
      delayMax: rng.pick([2, 5, 15, 30]),
    });
    const limits = {
      preVote: rng.chance(0.8),
      checkQuorum: rng.chance(0.8),
      inflightCountMax: rng.pick([4, 16, 32]),
      appendBytesMax: rng.pick([256, 1024, 8192]),
      inflightBytesMax: rng.pick([0, 2048, 16384]),
    };
    for (const id of ids) {
      this.nodes.push(new SimNode(id, limits, rng.fork(), initial, options.testingOnlyBug));
      this.tickPeriod.set(id, rng.between(8, 12));
      this.nextTickAt.set(id, rng.between(0, 12));
    }
    // Leaders write ahead of their fdatasync (RaftGroup) never, sometimes, or whenever the core allows.
    const writeAheadChance = rng.pick([0, 0.5, 1]);
    for (const node of this.nodes) node.writeAheadChance = writeAheadChance;
  }

  chaos(): void {
    while (this.now < this.options.chaosSteps) this.step();
  }

  /** Heals everything, then demands a leader and a committed proposal within livenessTicksMax ticks. */
  liveness(): void {
    this.faultsOn = false;
    this.network.heal();
    this.network.faults.dropProbability = 0;
    this.network.faults.duplicateProbability = 0;
    for (const node of this.nodes) {
      if (!node.alive) this.restart(node);
    }
    // The bound grows with the uncommitted backlog that must reach a majority before the probe can commit.
    const backlog = this.backlogOffsets();
    const ticksMax = this.options.livenessTicksMax + backlog;
    const deadline = this.now + ticksMax * 12;
    let probe: { id: number; offset: number; leader: SimNode } | undefined;
    while (this.now < deadline) {
      this.step();
      const leader = this.nodes.find((node) => node.raft?.role === "leader");
      if (leader === undefined) continue;
      if (probe === undefined || probe.leader !== leader || leader.raft!.role !== "leader") {
        const id = this.nextProposalId++;
        const result = leader.raft!.propose([{ recordCount: 1, byteSize: 8, payload: payloadOf(id) }]);
        if (result.ok) probe = { id, offset: result.lastOffset, leader };
        continue;
      }
      if (this.appliedOnMajority(probe.offset)) {
        this.checker.finalCheck(this.nodes);
        return;
      }
    }
    throw new Error(
      `liveness: no committed proposal within ${ticksMax} ticks of healing (backlog ${backlog} offsets)`,
    );
  }

  private backlogOffsets(): number {
    let last = -1;
    let commit = -1;
    for (const node of this.nodes) {
      if (node.raft === undefined) continue;
      last = Math.max(last, node.raft.log.lastOffset());
      commit = Math.max(commit, node.raft.commitOffset);
    }
    return Math.max(0, last - commit);
  }

  private appliedOnMajority(offset: number): boolean {
    const applied = this.nodes.filter((node) => node.alive && node.appliedOffset >= offset).length;
    return applied >= Math.floor(this.nodes.length / 2) + 1;
  }

  private step(): void {
    this.now += 1;
    this.stats.steps += 1;
    if (this.faultsOn) this.injectFaults();
    this.tickNodes();
    this.deliverMessages();
    this.syncWrites();
    this.proposeFromClients();
    this.processReadies();
    this.checker.afterStep(this.nodes);
  }

  private tickNodes(): void {
    for (const node of this.nodes) {
      const restartAt = this.restartAt.get(node.id);
      if (!node.alive && restartAt !== undefined && this.now >= restartAt) this.restart(node);
      if (!node.alive || this.now < this.nextTickAt.get(node.id)!) continue;
      node.raft!.tick();
      this.nextTickAt.set(node.id, this.now + this.tickPeriod.get(node.id)!);
    }
  }

  private deliverMessages(): void {
    for (const message of this.network.due(this.now)) {
      const node = this.nodes[message.to - 1];
      if (node?.raft === undefined) continue;
      node.raft.step(message);
      this.stats.messages += 1;
    }
  }

  /** Pending fdatasyncs return now and then: a few steps after the write, as a disk would. */
  private syncWrites(): void {
    for (const node of this.nodes) if (this.rng.chance(0.3)) node.syncSomeWrites();
  }

  private proposeFromClients(): void {
    // Clients keep proposing through the chaos; once healed only the liveness probe is proposed.
    if (!this.faultsOn || !this.rng.chance(this.faults.propose)) return;
    const node = this.rng.pick(this.nodes);
    if (node.raft?.role !== "leader") return;
    const count = this.rng.between(1, 3);
    const proposals = Array.from({ length: count }, () => {
      const recordCount = this.rng.between(1, 4);
      return { recordCount, byteSize: this.rng.between(16, 300), payload: payloadOf(this.nextProposalId++) };
    });
    if (node.raft.propose(proposals).ok) this.stats.proposals += count;
  }

  private processReadies(): void {
    for (const node of this.rng.shuffle([...this.nodes])) {
      const raft = node.raft;
      if (raft === undefined || !raft.hasReady()) continue;
      const crashMidway = this.faultsOn && this.rng.chance(this.faults.crashMidReady);
      const ready = raft.ready();
      // The checker reads the ready before the node persists it; re-enter through a one-shot Ready.
      this.checker.beforePersist(node, ready);
      const outcome = node.processReadyFrom(ready, crashMidway, (applier: SimNode, entry: Entry) => {
        this.checker.onApply(applier, entry, chainHash(applier.appliedHash, entry));
        this.stats.committedOffset = Math.max(this.stats.committedOffset, entry.lastOffset);
      });
      if (outcome.crashed) {
        this.stats.tornCrashes += 1;
        this.scheduleRestart(node);
        continue;
      }
      if (ready.snapshotToPersist !== undefined) this.checker.onSnapshotRestored(node);
      if (ready.role === "leader") this.stats.leaders = Math.max(this.stats.leaders, ready.term);
      for (const message of ready.messages) this.network.send(this.now, message);
    }
    this.stats.writeAheads = this.nodes.reduce((sum, node) => sum + node.writeAheads, 0);
  }

  private injectFaults(): void {
    const rng = this.rng;
    if (rng.chance(this.faults.changeMembership)) this.changeMembership();
    for (const node of this.nodes) {
      if (node.alive && rng.chance(this.faults.crash)) {
        node.crash();
        this.stats.crashes += 1;
        this.scheduleRestart(node);
      }
      if (node.alive && rng.chance(this.faults.compact) && node.compact(rng.int(2048)))
        this.stats.compactions += 1;
      if (rng.chance(this.faults.skewChange)) this.tickPeriod.set(node.id, rng.between(8, 12));
    }
    const leader = this.nodes.find((node) => node.raft?.role === "leader");
    if (leader !== undefined && rng.chance(this.faults.disruptLeader)) {
      if (rng.chance(0.5)) {
        leader.crash();
        this.stats.crashes += 1;
        this.scheduleRestart(leader);
      } else {
        this.network.heal();
        this.network.split(
          [leader.id],
          this.nodes.filter((node) => node !== leader).map((node) => node.id),
        );
        this.stats.partitions += 1;
      }
    }
    if (rng.chance(this.faults.partition)) {
      this.network.randomPartition(this.nodes.map((node) => node.id));
      this.stats.partitions += 1;
    } else if (rng.chance(this.faults.heal)) {
      this.network.heal();
    }
  }

  /** One step of a remove → add as learner → promote cycle, never below three voters. */
  private changeMembership(): void {
    const leader = this.nodes.find((node) => node.raft?.role === "leader")?.raft;
    if (leader === undefined) return;
    const config = leader.config;
    const outside = this.nodes.filter(
      (node) => !config.voters.includes(node.id) && !config.learners.includes(node.id),
    );
    const learner = config.learners[0];
    if (learner !== undefined) {
      if (leader.proposeConfigChange({ type: "promoteLearner", node: learner }).ok)
        this.stats.configChanges += 1;
    } else if (outside[0] !== undefined) {
      if (leader.proposeConfigChange({ type: "addLearner", node: outside[0].id }).ok)
        this.stats.configChanges += 1;
    } else if (config.voters.length > 3 || (config.voters.length === 3 && this.nodes.length === 3)) {
      if (config.voters.length === 3 && this.rng.chance(0.5)) return;
      const node = this.rng.pick(config.voters);
      if (leader.proposeConfigChange({ type: "removeNode", node }).ok) this.stats.configChanges += 1;
    }
  }

  private scheduleRestart(node: SimNode): void {
    this.restartAt.set(node.id, this.now + this.rng.between(20, 400));
  }

  private restart(node: SimNode): void {
    node.start();
    this.restartAt.delete(node.id);
    this.nextTickAt.set(node.id, this.now + this.rng.between(1, 12));
  }
}

function payloadOf(id: number): Uint8Array {
  const payload = new Uint8Array(4);
  new DataView(payload.buffer).setUint32(0, id);
  return payload;
}

export { SafetyViolation };
