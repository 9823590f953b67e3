// The node's partition logs under one data directory (`<dataDir>/<topic>-<partition>/`), sharing one bounded
// pool of file descriptors. A partition that cannot open is reported and kept offline (served as
// KAFKA_STORAGE_ERROR) while every other partition opens. One timer drives interval flushes, checkpoints
// and retention for all logs: 10,000 partitions must not mean 10,000 timers.

import { join } from "node:path";
import type { Cancel, Clock, Scheduler } from "../base/clock.ts";
import { FilePool } from "./file-pool.ts";
import {
  checkpointIntervalMsDefault,
  checkpointsPerTickMax,
  openFileHandlesMax,
  retentionCheckIntervalMsDefault,
} from "./limits.ts";
import { type LogConfig, logConfigDefault } from "./log-config.ts";
import type { LogLine } from "./log-recovery.ts";
import { PartitionLog } from "./partition-log.ts";
import { parsePartitionDirName, partitionDirName } from "./segment-name.ts";
import { describeError, StorageError } from "./storage-error.ts";
import { nodeStorageFs, type StorageFs } from "./storage-fs.ts";

export type PartitionState = { kind: "online"; log: PartitionLog } | { kind: "offline"; error: StorageError };

export interface LogManagerOptions {
  dataDir: string;
  storageFs?: StorageFs;
  openFileHandlesMax?: number;
  /** Handed to every log; the manager's own intervals run on its monotonic half. */
  clock: Clock;
  /** Runs the one timer start() sets. */
  scheduler: Scheduler;
  log?: LogLine;
  /** The topic's settings (topic configs live in cluster metadata); defaults to Kafka's. */
  configFor?: (topic: string) => LogConfig;
  checkpointIntervalMs?: number;
  /** At most this many checkpoints per tick; a round over more partitions continues at the next ticks. */
  checkpointsPerTickMax?: number;
  retentionCheckIntervalMs?: number;
}

/**
 * What the retention round does with one log. By default the log deletes what retention.ms and retention.bytes
 * let go; a replicated partition instead asks its leader to move every replica's log start (setRetention).
 */
export type RetentionPolicy = (topic: string, partition: number, log: PartitionLog) => void;

export class LogManager {
  readonly pool: FilePool;
  private readonly partitions = new Map<string, PartitionState>();
  private readonly clock: Clock;
  private readonly logLine: LogLine;
  private cancelTicks: Cancel | null = null;
  private lastCheckpointMs: number;
  private lastRetentionMs: number;
  /** Partitions the current checkpoint round has yet to write, in order. */
  private checkpointsDue: string[] = [];
  private retention: RetentionPolicy = (_topic, _partition, log) => void log.applyRetention();

  constructor(private readonly options: LogManagerOptions) {
    this.pool = new FilePool(
      options.storageFs ?? nodeStorageFs,
      options.openFileHandlesMax ?? openFileHandlesMax,
    );
    this.clock = options.clock;
    this.logLine = options.log ?? ((line) => console.warn(line));
    this.pool.storageFs.mkdirs(options.dataDir);
    this.lastCheckpointMs = this.clock.monotonicMs();
    this.lastRetentionMs = this.lastCheckpointMs;
  }

  /** Opens every partition directory under the data dir; returns the ones that failed. */
  openAll(): Array<{ topic: string; partition: number; error: StorageError }> {
    const failed: Array<{ topic: string; partition: number; error: StorageError }> = [];
    for (const name of this.pool.storageFs.readdir(this.options.dataDir).sort()) {
      const parsed = parsePartitionDirName(name);
      if (parsed === null) continue;
      const state = this.openPartition(parsed.topic, parsed.partition);
      if (state.kind === "offline") failed.push({ ...parsed, error: state.error });
    }
    return failed;
  }

  /** The partition's state, opening (or creating) its log on first use. */
  open(topic: string, partition: number): PartitionState {
    return this.partitions.get(partitionDirName(topic, partition)) ?? this.openPartition(topic, partition);
  }

  get(topic: string, partition: number): PartitionState | undefined {
    return this.partitions.get(partitionDirName(topic, partition));
  }

  /** The online log, or a StorageError (KAFKA_STORAGE_ERROR) for an offline one. */
  logOf(topic: string, partition: number): PartitionLog {
    const state = this.open(topic, partition);
    if (state.kind === "offline") throw state.error;
    if (state.log.offlineError) throw state.log.offlineError;
    return state.log;
  }

  /**
   * Deletes a partition for good (its topic was deleted): closes the log, then removes its directory and
   * syncs the data directory, so a topic created again under the same name starts empty.
   */
  async remove(topic: string, partition: number): Promise<void> {
    const name = partitionDirName(topic, partition);
    const state = this.partitions.get(name);
    this.partitions.delete(name);
    if (state?.kind === "online")
      await state.log.close().catch((error) => this.logLine(describeError(error)));
    this.pool.storageFs.removeTree(join(this.options.dataDir, name));
    this.pool.storageFs.syncDir(this.options.dataDir);
  }

  /** A topic's configs changed: its open logs (partitions 0 to partitionCount - 1) take them at once. */
  reconfigure(topic: string, partitionCount: number): void {
    const config = this.options.configFor?.(topic) ?? logConfigDefault;
    for (let partition = 0; partition < partitionCount; partition++) {
      const state = this.get(topic, partition);
      if (state?.kind === "online") state.log.reconfigure(config);
    }
  }

  /** Who applies retention at each round (the composition root routes it to the partition replicas). */
  setRetention(policy: RetentionPolicy): void {
    this.retention = policy;
  }

  /** The logs open and online now (the log cleaner's round). */
  onlineLogs(): PartitionLog[] {
    const logs: PartitionLog[] = [];
    for (const state of this.partitions.values()) {
      if (state.kind === "online" && state.log.offlineError === null) logs.push(state.log);
    }
    return logs;
  }

  get partitionCount(): number {
    return this.partitions.size;
  }

  /**
   * Interval flushes every tick; retention at its own interval; checkpoints in rounds at their interval, a few
   * partitions per tick (checkpointsPerTickMax), a new round starting only once the last one is done.
   */
  tick(): void {
    const nowMs = this.clock.monotonicMs();
    const retentionDue =
      nowMs - this.lastRetentionMs >=
      (this.options.retentionCheckIntervalMs ?? retentionCheckIntervalMsDefault);
    if (retentionDue) this.lastRetentionMs = nowMs;
    for (const [name, state] of this.partitions) {
      if (state.kind === "offline" || state.log.offlineError) continue;
      this.guard(state.log, () => {
        state.log.flushIfDue();
        const parsed = retentionDue ? parsePartitionDirName(name) : null;
        if (parsed !== null) this.retention(parsed.topic, parsed.partition, state.log);
      });
    }
    this.checkpointSome(nowMs);
  }

  private checkpointSome(nowMs: number): void {
    const intervalMs = this.options.checkpointIntervalMs ?? checkpointIntervalMsDefault;
    if (this.checkpointsDue.length === 0 && nowMs - this.lastCheckpointMs >= intervalMs) {
      this.lastCheckpointMs = nowMs;
      this.checkpointsDue = [...this.partitions.keys()];
    }
    const batch = this.checkpointsDue.splice(0, this.options.checkpointsPerTickMax ?? checkpointsPerTickMax);
    for (const name of batch) {
      const state = this.partitions.get(name);
      if (state === undefined || state.kind === "offline" || state.log.offlineError) continue;
      // The write and its fsyncs run on the thread pool; failures are logged by the log itself.
      this.guard(state.log, () => void state.log.checkpointInBackground());
    }
  }

  /** Starts the one timer (the composition root calls this; tests call tick() themselves). */
  start(tickMs = 100): void {
    this.cancelTicks ??= this.options.scheduler.setInterval(() => this.tick(), tickMs);
  }

  async close(): Promise<void> {
    this.cancelTicks?.();
    this.cancelTicks = null;
    for (const state of this.partitions.values()) {
      if (state.kind === "online")
        await state.log.close().catch((error) => this.logLine(describeError(error)));
    }
    this.partitions.clear();
    this.pool.closeAll();
  }

  private openPartition(topic: string, partition: number): PartitionState {
    const name = partitionDirName(topic, partition);
    let state: PartitionState;
    try {
      const config = this.options.configFor?.(topic) ?? logConfigDefault;
      const dir = join(this.options.dataDir, name);
      const log = PartitionLog.open({ dir, config, pool: this.pool, clock: this.clock, log: this.logLine });
      state = { kind: "online", log };
    } catch (error) {
      const storageError =
        error instanceof StorageError
          ? error
          : new StorageError(`${name}: cannot open: ${describeError(error)}`, { cause: error });
      this.logLine(`${name}: offline: ${storageError.message}`);
      state = { kind: "offline", error: storageError };
    }
    this.partitions.set(name, state);
    return state;
  }

  private guard(log: PartitionLog, work: () => void): void {
    try {
      work();
    } catch (error) {
      this.logLine(`${log.dir}: background work failed: ${describeError(error)}`);
    }
  }
}
