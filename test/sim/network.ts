// A simulated network: each message is delayed, and may be dropped, duplicated or reordered; links can be cut
// one way or both ways to model symmetric, one-way and bridge partitions.

import type { Prng } from "../../src/base/prng.ts";
import type { Message, NodeId } from "../../src/raft/core/types.ts";

export interface NetworkFaults {
  dropProbability: number;
  duplicateProbability: number;
  delayMax: number;
}

interface InFlight {
  readonly deliverAt: number;
  readonly message: Message;
}

export class Network {
  private inFlight: InFlight[] = [];
  private readonly cut = new Set<string>();

  constructor(
    private readonly rng: Prng,
    readonly faults: NetworkFaults,
  ) {}

  send(now: number, message: Message): void {
    if (this.isCut(message.from, message.to) || this.rng.chance(this.faults.dropProbability)) return;
    const copies = this.rng.chance(this.faults.duplicateProbability) ? 2 : 1;
    for (let copy = 0; copy < copies; copy++) {
      this.inFlight.push({ deliverAt: now + this.rng.between(1, this.faults.delayMax), message });
    }
  }

  /** Messages due by now, in a random order (delays already reorder them across time). */
  due(now: number): Message[] {
    const due: Message[] = [];
    const later: InFlight[] = [];
    for (const flight of this.inFlight) {
      if (flight.deliverAt > now) later.push(flight);
      else if (!this.isCut(flight.message.from, flight.message.to)) due.push(flight.message);
    }
    this.inFlight = later;
    return this.rng.shuffle(due);
  }

  get pending(): number {
    return this.inFlight.length;
  }

  heal(): void {
    this.cut.clear();
  }

  cutOneWay(from: NodeId, to: NodeId): void {
    this.cut.add(`${from}>${to}`);
  }

  /** Cuts every link between the two groups, both ways. */
  split(left: readonly NodeId[], right: readonly NodeId[]): void {
    for (const a of left) {
      for (const b of right) {
        this.cutOneWay(a, b);
        this.cutOneWay(b, a);
      }
    }
  }

  isCut(from: NodeId, to: NodeId): boolean {
    return this.cut.has(`${from}>${to}`);
  }

  /** Applies a random partition: isolate one node, split in two, one-way cuts, or a bridge. */
  randomPartition(ids: readonly NodeId[]): string {
    this.heal();
    const shuffled = this.rng.shuffle([...ids]);
    switch (this.rng.int(4)) {
      case 0: {
        const lone = shuffled[0]!;
        this.split([lone], shuffled.slice(1));
        return `isolate ${lone}`;
      }
      case 1: {
        const size = this.rng.between(1, Math.floor(ids.length / 2));
        this.split(shuffled.slice(0, size), shuffled.slice(size));
        return `split ${shuffled.slice(0, size).join(",")} | ${shuffled.slice(size).join(",")}`;
      }
      case 2: {
        const cuts = this.rng.between(1, ids.length);
        for (let count = 0; count < cuts; count++) this.cutOneWay(this.rng.pick(ids), this.rng.pick(ids));
        return "one-way cuts";
      }
      default: {
        // A bridge: two groups that cannot talk, and one node that talks to both.
        const bridge = shuffled[0]!;
        const rest = shuffled.slice(1);
        const half = Math.ceil(rest.length / 2);
        this.split(rest.slice(0, half), rest.slice(half));
        return `bridge ${bridge}`;
      }
    }
  }
}
