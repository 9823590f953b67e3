// The whole-node simulator: three SimBrokerNodes — the real storage engine, hard-state journal, GroupManager,
// RaftGroups and RaftReplicas — over crashable in-memory disks and a faulty network, driven by one seeded
// ManualClock, with idempotent producers writing through RaftReplica.append as the Produce handler does.
// Faults: message drop, duplication, reordering and delay; symmetric and one-way partitions; crashes that lose
// unsynced writes and leave torn tails; process pauses; a full disk; a failed fsync. After every step:
//   - at most one leader per partition per term;
//   - no node reports a high watermark past its own log end;
//   - what any node reports committed (its high watermark, which bounds what it serves readers) holds the same
//     batches as every other node reports committed there, with dense offsets — so every replica's log is a
//     prefix of the leader's up to its commit offset, and no read is served past a commit;
//   - every acknowledged batch sits where its acknowledgement said, in every committed copy.
// Then everything heals and the run must converge: every acknowledged batch present exactly once, no batch of
// an idempotent producer twice. One seed replays the same run exactly (the same failure at the same step).

import { ManualClock } from "../../../src/base/manual-clock.ts";
import { Prng } from "../../../src/base/prng.ts";
import { ErrorCode } from "../../../src/protocol/error-codes.ts";
import { buildBatch } from "../../../src/protocol/records/batch-builder.ts";
import {
  type BatchHeader,
  readBatchHeader,
  scanBatches,
} from "../../../src/protocol/records/batch-header.ts";
import type { RaftGroupTestingBug } from "../../../src/raft/node/index.ts";
import { SimBrokerNode } from "./sim-broker-node.ts";
import { SimDisk } from "./sim-disk.ts";
import { SimNetwork } from "./sim-network.ts";

export interface NodeSimulationOptions {
  readonly seed: number;
  /** Simulated milliseconds of faults and load. */
  readonly chaosMs: number;
  /** Simulated milliseconds the healed cluster gets to commit everything and agree. */
  readonly livenessMsMax: number;
  readonly partitions: number;
  readonly producers: number;
  readonly testingOnlyBug?: RaftGroupTestingBug;
}

export const defaultNodeSimulation = {
  chaosMs: 12_000,
  livenessMsMax: 30_000,
  partitions: 2,
  producers: 4,
} as const;

export interface NodeSimulationStats {
  steps: number;
  produced: number;
  acknowledged: number;
  retries: number;
  crashes: number;
  powerLosses: number;
  tornTails: number;
  lostNames: number;
  pauses: number;
  partitions: number;
  diskFulls: number;
  failedSyncs: number;
  deleteRecords: number;
  calls: number;
  dropped: number;
  duplicated: number;
  leaders: number;
  committedBatches: number;
}

export interface NodeSimulationResult {
  readonly ok: boolean;
  readonly seed: number;
  readonly failure?: string;
  readonly atMs: number;
  readonly stats: NodeSimulationStats;
}

const nodeIds = [1, 2, 3] as const;
/** The simulated time one step moves the clock by. */
const stepMs = 2;
/** Event-loop turns run after each step: enough for a message to pass a Ready, the journal and the network. */
const turnsPerStep = 3;
const requestTimeoutMs = 3_000;
/** Errors after which a producer retries the same sequence elsewhere, as Kafka clients do. */
const retriableErrors = new Set<number>([
  ErrorCode.NotLeaderOrFollower,
  ErrorCode.KafkaStorageError,
  ErrorCode.RequestTimedOut,
  ErrorCode.NotEnoughReplicas,
]);

class SimulationFailure extends Error {
  override name = "SimulationFailure";
}

interface Attempt {
  readonly sequence: number;
  readonly sentAtMs: number;
}

interface Producer {
  readonly index: number;
  readonly producerId: bigint;
  readonly partition: number;
  /** The sequence of the next batch to be acknowledged. */
  sequence: number;
  /** Whether the batch with `sequence` has been produced and not yet acknowledged. */
  pending: boolean;
  inFlight: Attempt | null;
  target: number;
  notBeforeMs: number;
}

interface Acknowledged {
  readonly partition: number;
  readonly baseOffset: number;
  readonly producerId: bigint;
  readonly sequence: number;
}

/** What identifies a committed batch wherever it is stored: its offsets, epoch, producer and checksum. */
function signatureOf(header: BatchHeader): string {
  const lastOffset = Number(header.baseOffset) + header.lastOffsetDelta;
  return `${lastOffset}/e${header.partitionLeaderEpoch}/p${header.producerId}:${header.baseSequence}/c${header.crc}`;
}

/** The producer part of a signature: "p<producerId>:<baseSequence>" ("p-1:-1" for a control batch). */
function producerPartOf(signature: string): string {
  return signature.split("/")[2]!;
}

function producerKeyOf(ack: Acknowledged): string {
  return `p${ack.producerId}:${ack.sequence}`;
}

export async function runNodeSimulation(options: NodeSimulationOptions): Promise<NodeSimulationResult> {
  const simulation = new NodeSimulation(options);
  const caught = (error: unknown) => simulation.noteEscaped(error);
  process.on("unhandledRejection", caught);
  process.on("uncaughtException", caught);
  try {
    await simulation.chaos();
    await simulation.liveness();
    simulation.finalCheck();
    return { ok: true, seed: options.seed, atMs: simulation.nowMs, stats: simulation.statistics() };
  } catch (error) {
    const failure = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return { ok: false, seed: options.seed, failure, atMs: simulation.nowMs, stats: simulation.statistics() };
  } finally {
    simulation.shutdown();
    // Callbacks of the abandoned nodes may still be queued: let them run out while the handlers listen.
    for (let turn = 0; turn < 10; turn++) await new Promise((resolve) => setImmediate(resolve));
    process.off("unhandledRejection", caught);
    process.off("uncaughtException", caught);
  }
}

class NodeSimulation {
  private readonly rng: Prng;
  private readonly clock = new ManualClock();
  private readonly network: SimNetwork;
  private readonly disks = new Map<number, SimDisk>();
  private readonly nodes = new Map<number, SimBrokerNode | null>();
  private readonly producers: Producer[] = [];
  private readonly acknowledged: Acknowledged[] = [];
  /** Per partition: baseOffset → signature of the batch committed there, as first reported by any node. */
  private readonly committed: Array<Map<number, string>> = [];
  /** Per partition and node incarnation: the offset its committed prefix has been checked up to. */
  private readonly checkedTo = new Map<SimBrokerNode, number[]>();
  /** Per partition: term → the node that led it. */
  private readonly leaders: Array<Map<number, number>> = [];
  private readonly restartAtMs = new Map<number, number>();
  private readonly resumeAtMs = new Map<number, number>();
  private escaped: unknown = undefined;
  private readonly faults;
  private readonly syncDelayMaxMs: number;
  private readonly tornTailChance: number;
  private readonly stats = {
    steps: 0,
    produced: 0,
    acknowledged: 0,
    retries: 0,
    crashes: 0,
    powerLosses: 0,
    pauses: 0,
    partitions: 0,
    diskFulls: 0,
    failedSyncs: 0,
    deleteRecords: 0,
    leaders: 0,
  };
  private producing = true;

  constructor(private readonly options: NodeSimulationOptions) {
    const rng = new Prng(options.seed);
    this.rng = rng;
    // Chances per step (2 simulated ms).
    this.faults = {
      crash: rng.pick([0.0002, 0.0005, 0.001]),
      crashLeader: rng.pick([0, 0.0002, 0.0005]),
      /** Every node at once: what each kept is what it had synced. */
      powerLoss: rng.pick([0, 0.0001, 0.0003]),
      pause: rng.pick([0, 0.0002, 0.0005]),
      isolate: rng.pick([0, 0.0003, 0.001]),
      cutOneWay: rng.pick([0, 0.0003, 0.001]),
      heal: rng.pick([0.001, 0.003]),
      diskFull: rng.pick([0, 0.0001]),
      failSync: rng.pick([0, 0.0001]),
      /** DeleteRecords on a partition's leader: followers behind the new start install a snapshot. */
      deleteRecords: rng.pick([0, 0.001, 0.003]),
      produce: rng.pick([0.05, 0.2, 0.5]),
    };
    this.syncDelayMaxMs = rng.pick([1, 5, 20]);
    this.tornTailChance = rng.pick([0, 0.5, 0.9]);
    this.network = new SimNetwork(
      rng.fork(),
      {
        dropProbability: rng.pick([0, 0.01, 0.05]),
        duplicateProbability: rng.pick([0, 0.01, 0.05]),
        delayMaxMs: rng.pick([2, 10, 40]),
      },
      (run, delayMs) => void this.clock.setTimeout(run, delayMs),
    );
    for (let partition = 0; partition < options.partitions; partition++) {
      this.committed.push(new Map());
      this.leaders.push(new Map());
    }
    for (const id of nodeIds) {
      this.disks.set(id, new SimDisk());
      this.start(id);
    }
    for (let index = 0; index < options.producers; index++) {
      this.producers.push({
        index,
        producerId: BigInt(1000 + index),
        partition: index % options.partitions,
        sequence: 0,
        pending: false,
        inFlight: null,
        target: rng.pick(nodeIds),
        notBeforeMs: 0,
      });
    }
  }

  get nowMs(): number {
    return this.clock.monotonicMs();
  }

  statistics(): NodeSimulationStats {
    const diskStats = [...this.disks.values()].map((disk) => disk.stats);
    const sum = (pick: (stats: SimDisk["stats"]) => number) =>
      diskStats.reduce((total, stats) => total + pick(stats), 0);
    return {
      ...this.stats,
      tornTails: sum((stats) => stats.tornTails),
      lostNames: sum((stats) => stats.lostNames),
      calls: this.network.stats.calls,
      dropped: this.network.stats.dropped,
      duplicated: this.network.stats.duplicated,
      committedBatches: this.committed.reduce((total, batches) => total + batches.size, 0),
    };
  }

  noteEscaped(error: unknown): void {
    // A process that crashed may still have callbacks queued; what they throw at its dead disk is expected.
    if (error instanceof Error && error.message.includes("by a crashed process")) return;
    this.escaped ??= error;
  }

  shutdown(): void {
    for (const node of this.nodes.values()) node?.time.kill();
  }

  // ---- the phases ------------------------------------------------------------------------------------------

  async chaos(): Promise<void> {
    while (this.nowMs < this.options.chaosMs) {
      this.injectFaults();
      await this.step();
    }
  }

  /** Heals everything, lets in-flight produces finish, and demands that every replica agrees. */
  async liveness(): Promise<void> {
    this.producing = false;
    this.network.heal();
    for (const id of nodeIds) {
      this.disks.get(id)!.bytesFree = null;
      this.disks.get(id)!.failNextSync = false;
      if (this.network.isPaused(id)) this.resume(id);
      // A node whose disk failed has stopped the groups on it: an operator restarts it.
      if (this.nodes.get(id) === null || this.restartAtMs.has(id)) this.start(id);
    }
    const deadline = this.nowMs + this.options.livenessMsMax;
    while (!this.converged()) {
      if (this.nowMs > deadline)
        throw new SimulationFailure(`no convergence after healing: ${this.describe()}`);
      await this.step();
    }
  }

  /** Every acknowledged batch exactly once, where its acknowledgement said; no producer batch twice. */
  finalCheck(): void {
    for (let partition = 0; partition < this.options.partitions; partition++) {
      const seen = new Map<string, number>();
      for (const [baseOffset, signature] of this.committed[partition]!) {
        const producer = producerPartOf(signature);
        if (producer.startsWith("p-1:")) continue;
        const earlier = seen.get(producer);
        if (earlier !== undefined)
          throw new SimulationFailure(
            `partition ${partition}: batch ${producer} committed twice, at ${earlier} and ${baseOffset}`,
          );
        seen.set(producer, baseOffset);
      }
    }
    for (const ack of this.acknowledged) {
      const signature = this.committed[ack.partition]!.get(ack.baseOffset);
      const producer = producerKeyOf(ack);
      // Deleted by DeleteRecords before any replica reported it committed: nothing to compare with.
      if (signature === undefined && ack.baseOffset < this.logStartOf(ack.partition)) continue;
      if (signature === undefined || producerPartOf(signature) !== producer)
        throw new SimulationFailure(
          `acknowledged ${producer} at ${ack.partition}/${ack.baseOffset} is not there (${signature ?? "nothing"})`,
        );
    }
  }

  // ---- one step ------------------------------------------------------------------------------------------

  private async step(): Promise<void> {
    this.stats.steps += 1;
    this.runProducers();
    this.clock.advance(stepMs);
    for (let turn = 0; turn < turnsPerStep; turn++) await new Promise((resolve) => setImmediate(resolve));
    if (this.escaped !== undefined) {
      const error = this.escaped;
      throw new SimulationFailure(
        `a node threw: ${error instanceof Error ? `${error.message}\n${error.stack}` : String(error)}`,
      );
    }
    this.restartAndResumeDue();
    this.check();
  }

  private restartAndResumeDue(): void {
    for (const [id, atMs] of this.restartAtMs) if (this.nowMs >= atMs) this.start(id);
    for (const [id, atMs] of this.resumeAtMs) if (this.nowMs >= atMs) this.resume(id);
  }

  // ---- faults --------------------------------------------------------------------------------------------

  private injectFaults(): void {
    const rng = this.rng;
    const f = this.faults;
    const up = nodeIds.filter((id) => this.nodes.get(id) !== null);
    if (rng.chance(f.crash) && up.length > 0) this.crash(rng.pick(up), 100 + rng.int(2_000));
    if (rng.chance(f.crashLeader)) {
      const leader = this.leaderOf(rng.int(this.options.partitions));
      if (leader !== null) this.crash(leader, 100 + rng.int(1_500));
    }
    if (rng.chance(f.powerLoss)) {
      this.stats.powerLosses += 1;
      for (const id of nodeIds) this.crash(id, 100 + rng.int(2_000));
    }
    if (rng.chance(f.pause) && up.length > 0) {
      const id = rng.pick(up);
      if (this.nodes.get(id) !== null && !this.network.isPaused(id)) {
        this.stats.pauses += 1;
        this.network.pause(id);
        this.nodes.get(id)!.time.pause();
        this.resumeAtMs.set(id, this.nowMs + 100 + rng.int(3_000));
      }
    }
    if (rng.chance(f.isolate)) {
      this.stats.partitions += 1;
      this.network.isolate(rng.pick(nodeIds), [...nodeIds]);
    }
    if (rng.chance(f.cutOneWay)) {
      this.stats.partitions += 1;
      const [from, to] = rng.shuffle([...nodeIds]);
      this.network.cutOneWay(from!, to!);
    }
    if (this.network.cutLinks > 0 && rng.chance(f.heal)) this.network.heal();
    if (rng.chance(f.diskFull) && up.length > 0) {
      // The disk fills; groups whose write fails stop, and an operator restarts the node with space freed.
      const id = rng.pick(up);
      this.stats.diskFulls += 1;
      this.disks.get(id)!.bytesFree = rng.int(2_000);
      this.scheduleRestart(id, 200 + rng.int(1_000));
    }
    if (rng.chance(f.deleteRecords)) this.deleteRecords(rng.int(this.options.partitions));
    if (rng.chance(f.failSync) && up.length > 0) {
      const id = rng.pick(up);
      this.stats.failedSyncs += 1;
      this.disks.get(id)!.failNextSync = true;
      this.scheduleRestart(id, 100 + rng.int(500));
    }
  }

  private deleteRecords(partition: number): void {
    const leader = this.leaderOf(partition);
    if (leader === null) return;
    const replica = this.nodes.get(leader)!.replicas[partition]!;
    const start = replica.logStartOffset();
    const highWatermark = replica.highWatermark.value;
    if (highWatermark <= start) return;
    this.stats.deleteRecords += 1;
    void replica.deleteRecordsBefore(start + this.rng.int(highWatermark - start + 1));
  }

  private crash(id: number, downMs: number): void {
    const node = this.nodes.get(id);
    if (node === null || node === undefined) return;
    this.stats.crashes += 1;
    node.time.kill();
    this.network.remove(id);
    this.resumeAtMs.delete(id);
    this.disks.get(id)!.crash(this.rng, this.tornTailChance);
    this.nodes.set(id, null);
    this.restartAtMs.set(id, this.nowMs + downMs);
  }

  /** An operator's restart after a disk fault: a crash (its unsynced writes may go) with space freed. */
  private scheduleRestart(id: number, afterMs: number): void {
    this.restartAtMs.set(id, this.nowMs + afterMs);
  }

  private start(id: number): void {
    const old = this.nodes.get(id);
    if (old !== null && old !== undefined) {
      old.time.kill();
      this.network.remove(id);
      this.disks.get(id)!.crash(this.rng, this.tornTailChance);
    }
    this.restartAtMs.delete(id);
    this.resumeAtMs.delete(id);
    const disk = this.disks.get(id)!;
    disk.bytesFree = null;
    disk.failNextSync = false;
    const node = new SimBrokerNode({
      nodeId: id,
      voters: [...nodeIds],
      partitions: this.options.partitions,
      clock: this.clock,
      disk,
      network: this.network,
      rng: this.rng.fork(),
      syncDelayMs: () => this.rng.int(this.syncDelayMaxMs + 1),
      testingOnlyBug: this.options.testingOnlyBug,
    });
    this.nodes.set(id, node);
    this.checkedTo.set(
      node,
      Array.from({ length: this.options.partitions }, () => 0),
    );
  }

  private resume(id: number): void {
    this.resumeAtMs.delete(id);
    this.nodes.get(id)?.time.resume();
    this.network.resume(id);
  }

  private leaderOf(partition: number): number | null {
    for (const id of nodeIds) {
      const node = this.nodes.get(id);
      if (node?.groups[partition]?.role === "leader" && !this.network.isPaused(id)) return id;
    }
    return null;
  }

  // ---- producers -----------------------------------------------------------------------------------------

  private runProducers(): void {
    for (const producer of this.producers) {
      const attempt = producer.inFlight;
      if (attempt !== null) {
        if (this.nowMs - attempt.sentAtMs > requestTimeoutMs) this.retry(producer);
        continue;
      }
      if (!producer.pending && this.producing && this.rng.chance(this.faults.produce)) {
        // The next batch: sent until acknowledged, with the same sequence every time (Kafka's idempotence).
        producer.pending = true;
        this.stats.produced += 1;
      }
      if (producer.pending && this.nowMs >= producer.notBeforeMs) this.send(producer);
    }
  }

  private send(producer: Producer): void {
    const attempt: Attempt = { sequence: producer.sequence, sentAtMs: this.nowMs };
    producer.inFlight = attempt;
    const node = this.nodes.get(producer.target);
    if (node === null || node === undefined) {
      // Connection refused: the client notices at once and tries another broker.
      this.clock.setTimeout(() => this.answer(producer, attempt, ErrorCode.NotLeaderOrFollower, null), 1);
      return;
    }
    const value = new TextEncoder().encode(`producer ${producer.index} sequence ${attempt.sequence}`);
    const batch = buildBatch([{ key: null, value, timestamp: this.clock.wallMs() }], {
      producerId: producer.producerId,
      producerEpoch: 0,
      baseSequence: attempt.sequence,
    });
    node.time.setTimeout(() => {
      const replica = node.replicas[producer.partition]!;
      const ticket = replica.append({ bytes: batch, header: readBatchHeader(batch) }, { acks: -1 });
      const placement = ticket.placement;
      if ("errorCode" in placement) {
        this.reply(() => this.answer(producer, attempt, placement.errorCode, null));
        return;
      }
      void ticket.replicated.then((error) =>
        this.reply(() => this.answer(producer, attempt, error?.errorCode ?? 0, placement.baseOffset)),
      );
    }, 1 + this.rng.int(3));
  }

  private reply(run: () => void): void {
    this.clock.setTimeout(run, 1 + this.rng.int(3));
  }

  private answer(producer: Producer, attempt: Attempt, errorCode: number, baseOffset: number | null): void {
    if (producer.inFlight !== attempt) return;
    producer.inFlight = null;
    if (errorCode === 0 && baseOffset !== null) {
      const ack: Acknowledged = {
        partition: producer.partition,
        baseOffset,
        producerId: producer.producerId,
        sequence: attempt.sequence,
      };
      this.acknowledged.push(ack);
      this.stats.acknowledged += 1;
      producer.sequence += 1;
      producer.pending = false;
      this.checkAcknowledged(ack);
      return;
    }
    if (!retriableErrors.has(errorCode))
      throw new SimulationFailure(
        `producer ${producer.producerId} sequence ${attempt.sequence} got error ${errorCode} from node ${producer.target}`,
      );
    this.retry(producer);
  }

  private retry(producer: Producer): void {
    producer.inFlight = null;
    this.stats.retries += 1;
    producer.notBeforeMs = this.nowMs + 20 + this.rng.int(100);
    producer.target = this.leaderOf(producer.partition) ?? this.rng.pick(nodeIds);
  }

  // ---- invariants ----------------------------------------------------------------------------------------

  private check(): void {
    for (const id of nodeIds) {
      const node = this.nodes.get(id);
      if (node === null || node === undefined) continue;
      for (let partition = 0; partition < this.options.partitions; partition++) {
        this.checkLeader(id, node, partition);
        this.checkCommitted(id, node, partition);
      }
    }
  }

  private checkLeader(id: number, node: SimBrokerNode, partition: number): void {
    const group = node.groups[partition]!;
    if (group.role !== "leader") return;
    const leaders = this.leaders[partition]!;
    const known = leaders.get(group.term);
    if (known === undefined) {
      leaders.set(group.term, id);
      this.stats.leaders += 1;
    } else if (known !== id) {
      throw new SimulationFailure(
        `partition ${partition}: nodes ${known} and ${id} both lead term ${group.term}`,
      );
    }
  }

  /** Reads what the node newly reports committed and compares it with what every node reported before. */
  private checkCommitted(id: number, node: SimBrokerNode, partition: number): void {
    const replica = node.replicas[partition]!;
    const highWatermark = replica.highWatermark.value;
    if (highWatermark > replica.logEndOffset())
      throw new SimulationFailure(
        `node ${id} partition ${partition}: high watermark ${highWatermark} past its log end ${replica.logEndOffset()}`,
      );
    const checked = this.checkedTo.get(node)!;
    // Below its log start a replica holds nothing more to compare (DeleteRecords moved it, through the log).
    let offset = Math.max(checked[partition]!, replica.logStartOffset());
    const committed = this.committed[partition]!;
    while (offset < highWatermark) {
      const read = replica.read(offset, { maxBytes: 64 * 1024, maxOffset: highWatermark, minOneBatch: true });
      if ("errorCode" in read)
        throw new SimulationFailure(
          `node ${id} partition ${partition}: read at ${offset}: ${read.errorMessage}`,
        );
      const { spans, problem } = scanBatches(read.records, { verifyCrc: true });
      if (problem !== null)
        throw new SimulationFailure(`node ${id} partition ${partition} at ${offset}: ${problem.reason}`);
      if (spans.length === 0)
        throw new SimulationFailure(
          `node ${id} partition ${partition}: nothing at ${offset} below ${highWatermark}`,
        );
      for (const span of spans) {
        const header = readBatchHeader(read.records, span.position);
        const lastOffset = Number(header.baseOffset) + header.lastOffsetDelta;
        // The log start may fall inside the first batch read; every later batch starts where one ended.
        if (lastOffset < offset) continue;
        if (
          Number(header.baseOffset) !== offset &&
          !(span.position === 0 && Number(header.baseOffset) < offset)
        )
          throw new SimulationFailure(
            `node ${id} partition ${partition}: batch at ${header.baseOffset} where ${offset} was next`,
          );
        const signature = signatureOf(header);
        const baseOffset = Number(header.baseOffset);
        const known = committed.get(baseOffset);
        if (known === undefined) committed.set(baseOffset, signature);
        else if (known !== signature)
          throw new SimulationFailure(
            `node ${id} partition ${partition}: committed ${signature} at ${baseOffset}, another node ${known}`,
          );
        offset = lastOffset + 1;
      }
    }
    checked[partition] = offset;
  }

  private checkAcknowledged(ack: Acknowledged): void {
    const signature = this.committed[ack.partition]!.get(ack.baseOffset);
    if (signature === undefined) return;
    if (producerPartOf(signature) !== producerKeyOf(ack))
      throw new SimulationFailure(
        `acknowledged ${producerKeyOf(ack)} at ${ack.partition}/${ack.baseOffset}, committed there: ${signature}`,
      );
  }

  /** The log start every replica agrees on once converged. */
  private logStartOf(partition: number): number {
    const starts = nodeIds.map((id) => this.nodes.get(id)?.replicas[partition]?.logStartOffset() ?? 0);
    return Math.min(...starts);
  }

  private converged(): boolean {
    if (this.producers.some((producer) => producer.pending)) return false;
    for (let partition = 0; partition < this.options.partitions; partition++) {
      const leader = this.leaderOf(partition);
      if (leader === null) return false;
      const leaderReplica = this.nodes.get(leader)!.replicas[partition]!;
      const end = leaderReplica.logEndOffset();
      for (const id of nodeIds) {
        const replica = this.nodes.get(id)?.replicas[partition];
        if (replica === undefined || replica.highWatermark.value !== end) return false;
      }
    }
    for (const ack of this.acknowledged) this.checkAcknowledged(ack);
    return true;
  }

  private describe(): string {
    const lines: string[] = [];
    for (let partition = 0; partition < this.options.partitions; partition++) {
      const states = nodeIds.map((id) => {
        const node = this.nodes.get(id);
        if (node === null || node === undefined) return `${id}:down`;
        const group = node.groups[partition]!;
        const replica = node.replicas[partition]!;
        return `${id}:${group.role}/t${group.term}/hw${replica.highWatermark.value}/end${replica.logEndOffset()}`;
      });
      lines.push(`p${partition} ${states.join(" ")}`);
    }
    const waiting = this.producers.filter((producer) => producer.inFlight !== null).length;
    return `${lines.join("; ")}; producers in flight ${waiting}`;
  }
}
