// One simulated broker node: the real storage engine, hard-state journal, GroupManager, RaftGroups and
// RaftReplicas — assembled by the same startStorageAndRaft the server uses — over a SimDisk, a SimNetwork
// endpoint and a NodeTime, which is the simulator's clock as this process sees it: paused with the process,
// gone with it when it crashes.

import { type NodeRaft, startStorageAndRaft } from "../../../src/app/broker-node.ts";
import type { Cancel, Scheduler } from "../../../src/base/clock.ts";
import { silentLogger } from "../../../src/base/logger.ts";
import type { ManualClock } from "../../../src/base/manual-clock.ts";
import type { Prng } from "../../../src/base/prng.ts";
import { parseCommandLine } from "../../../src/cli/parse-command-line.ts";
import { RaftReplica } from "../../../src/cluster/raft-replica.ts";
import type { RaftGroup, RaftGroupTestingBug } from "../../../src/raft/node/index.ts";
import { logConfigOf } from "../../../src/storage/index.ts";
import type { SimDisk } from "./sim-disk.ts";
import type { SimNetwork } from "./sim-network.ts";

export const simTopic = "sim";
const simTopicId = "c2ltLXRvcGljLWlkLTAwMQ";
/** Small segments, so a run rolls segments and writes producer snapshots many times. */
const segmentBytes = 4096;

/** The simulated clock as one process sees it: timers held while it is paused, dropped once it crashed. */
export class NodeTime implements Scheduler {
  private readonly cancels = new Set<Cancel>();
  private paused = false;
  private killed = false;
  private held: Array<() => void> = [];

  constructor(private readonly clock: ManualClock) {}

  setTimeout(run: () => void, delayMs: number): Cancel {
    const cancel = this.clock.setTimeout(() => {
      this.cancels.delete(cancel);
      this.fire(run);
    }, delayMs);
    this.cancels.add(cancel);
    return () => {
      cancel();
      this.cancels.delete(cancel);
    };
  }

  setInterval(run: () => void, intervalMs: number): Cancel {
    let due = false;
    const cancel = this.clock.setInterval(() => {
      // A paused process misses ticks; it runs one on waking, as a real one would.
      if (due) return;
      due = true;
      this.fire(() => {
        due = false;
        run();
      });
    }, intervalMs);
    this.cancels.add(cancel);
    return () => {
      cancel();
      this.cancels.delete(cancel);
    };
  }

  private fire(run: () => void): void {
    if (this.killed) return;
    if (this.paused) this.held.push(run);
    else run();
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    const held = this.held;
    this.held = [];
    for (const run of held) if (!this.killed) run();
  }

  kill(): void {
    this.killed = true;
    this.held = [];
    for (const cancel of this.cancels) cancel();
    this.cancels.clear();
  }
}

export interface SimNodeOptions {
  readonly nodeId: number;
  readonly voters: readonly number[];
  readonly partitions: number;
  readonly clock: ManualClock;
  readonly disk: SimDisk;
  readonly network: SimNetwork;
  readonly rng: Prng;
  readonly syncDelayMs: () => number;
  readonly testingOnlyBug?: RaftGroupTestingBug;
}

/** One incarnation of a node: started by the constructor, abandoned (not closed) by a crash. */
export class SimBrokerNode {
  readonly time: NodeTime;
  readonly raft: NodeRaft;
  readonly replicas: RaftReplica[] = [];
  readonly groups: RaftGroup[] = [];

  constructor(options: SimNodeOptions) {
    const { nodeId, voters, clock, rng } = options;
    this.time = new NodeTime(clock);
    const storageFs = options.disk.view({
      setTimeout: (run, delayMs) => void this.time.setTimeout(run, delayMs),
      syncDelayMs: options.syncDelayMs,
    });
    const peers = voters.filter((id) => id !== nodeId).map((id) => `${id}@127.0.0.1:${9000 + id}`);
    const parsed = parseCommandLine(
      [
        "--node-id",
        String(nodeId),
        "--data-dir",
        `/data/node-${nodeId}`,
        "raft-cluster",
        "--raft-addr",
        `127.0.0.1:${9000 + nodeId}`,
        "--peers",
        peers.join(","),
      ],
      {},
    );
    if (parsed.kind !== "run") throw new Error(`the simulator's command line: ${JSON.stringify(parsed)}`);
    this.raft = startStorageAndRaft(
      parsed.config,
      silentLogger,
      () => logConfigOf({ segmentBytes }),
      options.network.endpoint(nodeId),
      undefined,
      {
        clock,
        scheduler: this.time,
        storageFs,
        randomInt: (bound) => rng.int(bound),
        testingOnlyBug: options.testingOnlyBug,
      },
    );
    for (let partition = 0; partition < options.partitions; partition++) {
      let replica: RaftReplica | undefined;
      const { group, log, logStarts, snapshots } = this.raft.openGroup(simTopic, partition, {
        deliverCommittedEntries: false,
        voters,
        onHighWatermark: (highWatermark) => replica?.onCommit(highWatermark),
      });
      replica = new RaftReplica(simTopicId, simTopic, partition, group, log, {
        logLine: () => {},
        logStarts,
        snapshots,
        wallMs: () => clock.wallMs(),
        storageFs,
      });
      group.start();
      this.replicas.push(replica);
      this.groups.push(group);
    }
    this.raft.manager.start();
  }
}
