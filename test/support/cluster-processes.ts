// Starts a real raft-cluster of chronik-server processes on free loopback ports (Kafka, HTTP and Raft per
// node), each over a data directory of its own, and lets a test kill, stop and restart nodes over the same
// data and ports — the harness of every multi-node integration test.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePorts, type ServerProcess, startServer } from "./server-process.ts";

export interface ClusterNodeSpec {
  readonly nodeId: number;
  readonly kafkaPort: number;
  readonly httpPort: number;
  readonly raftPort: number;
  readonly dataDir: string;
}

export interface ClusterOptions {
  /** Nodes in the cluster (default 3). */
  size?: number;
  /** Extra options for every node (before the mode). */
  args?: string[];
  /** Extra options per node id (its spec gives its ports). */
  argsOf?: (nodeId: number, spec: ClusterNodeSpec) => string[];
  /** How long each node may take to become ready (default 30 s: the others start alongside). */
  startupMs?: number;
  /** The nodes' ports and directories, made beforehand (clusterSpecs) to start something in front of them. */
  specs?: ClusterNodeSpec[];
  /** The Raft port node `from` reaches peer `to` on (default: the peer's own): a fault proxy's, say. */
  peerPort?: (from: number, to: number) => number;
}

export interface TestCluster {
  readonly specs: readonly ClusterNodeSpec[];
  /** "127.0.0.1:port,…" of every node. */
  bootstrap(): string;
  node(nodeId: number): ServerProcess;
  isRunning(nodeId: number): boolean;
  /** Starts a stopped or killed node again over its data and ports; resolves once it is ready. */
  start(nodeId: number): Promise<ServerProcess>;
  kill(nodeId: number): Promise<number>;
  stop(nodeId: number): Promise<number>;
  /** Stops every running node and removes the data directories. */
  close(): Promise<void>;
}

/** The raft-cluster arguments of one node of `specs`. */
export function clusterModeArgs(
  specs: readonly ClusterNodeSpec[],
  nodeId: number,
  peerPort: (from: number, to: number) => number = (_from, to) =>
    specs.find((spec) => spec.nodeId === to)!.raftPort,
): string[] {
  const self = specs.find((spec) => spec.nodeId === nodeId)!;
  const peers = specs
    .filter((spec) => spec.nodeId !== nodeId)
    .map((spec) => `${spec.nodeId}@127.0.0.1:${peerPort(nodeId, spec.nodeId)}`)
    .join(",");
  return ["raft-cluster", "--raft-addr", `127.0.0.1:${self.raftPort}`, "--peers", peers];
}

export async function clusterSpecs(size: number): Promise<ClusterNodeSpec[]> {
  const ports = await freePorts(size * 3);
  return Array.from({ length: size }, (_, index) => ({
    nodeId: index + 1,
    kafkaPort: ports[index * 3]!,
    httpPort: ports[index * 3 + 1]!,
    raftPort: ports[index * 3 + 2]!,
    dataDir: mkdtempSync(join(tmpdir(), `chronik-cluster-${index + 1}-`)),
  }));
}

export async function startCluster(options: ClusterOptions = {}): Promise<TestCluster> {
  const specs = options.specs ?? (await clusterSpecs(options.size ?? 3));
  const running = new Map<number, ServerProcess>();
  const startNode = async (nodeId: number): Promise<ServerProcess> => {
    const spec = specs.find((candidate) => candidate.nodeId === nodeId)!;
    const process = await startServer({
      dataDir: spec.dataDir,
      ports: { kafka: spec.kafkaPort, http: spec.httpPort },
      args: ["--node-id", String(nodeId), ...(options.args ?? []), ...(options.argsOf?.(nodeId, spec) ?? [])],
      modeArgs: clusterModeArgs(specs, nodeId, options.peerPort),
      startupMs: options.startupMs ?? 30_000,
    });
    running.set(nodeId, process);
    return process;
  };
  try {
    await Promise.all(specs.map((spec) => startNode(spec.nodeId)));
  } catch (error) {
    await Promise.all([...running.values()].map((process) => process.kill()));
    for (const spec of specs) rmSync(spec.dataDir, { recursive: true, force: true });
    throw error;
  }
  const node = (nodeId: number): ServerProcess => {
    const process = running.get(nodeId);
    if (process === undefined) throw new Error(`node ${nodeId} is not running`);
    return process;
  };
  return {
    specs,
    bootstrap: () =>
      specs
        .filter((spec) => running.has(spec.nodeId))
        .map((spec) => `127.0.0.1:${spec.kafkaPort}`)
        .join(","),
    node,
    isRunning: (nodeId) => running.has(nodeId),
    start: (nodeId) => startNode(nodeId),
    async kill(nodeId) {
      const code = await node(nodeId).kill();
      running.delete(nodeId);
      return code;
    },
    async stop(nodeId) {
      const code = await node(nodeId).stop();
      running.delete(nodeId);
      return code;
    },
    async close() {
      await Promise.all([...running.values()].map((process) => process.stop()));
      running.clear();
      for (const spec of specs) rmSync(spec.dataDir, { recursive: true, force: true });
    },
  };
}
