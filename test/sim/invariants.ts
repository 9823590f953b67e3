// The safety properties the simulator checks after every step, each named after the Raft paper's figure 3.
import type { Entry, NodeId, Ready } from "../../src/raft/core/types.ts";
import type { SimNode } from "./sim-node.ts";
import { entryIdentity } from "./sim-node.ts";

export class SafetyViolation extends Error {
  override name = "SafetyViolation";
}

function violated(property: string, detail: string): never {
  throw new SafetyViolation(`${property}: ${detail}`);
}

interface CommitRecord {
  readonly offset: number;
  readonly epoch: number;
}

export class Checker {
  private readonly leaderOfTerm = new Map<number, NodeId>();
  /** (lastOffset/epoch) of every entry ever written → its identity and its predecessor's key. */
  private readonly entries = new Map<string, { identity: number; predecessor: string }>();
  /** lastOffset → identity of the entry applied there, and the state machine hash after it. */
  private readonly appliedAt = new Map<number, number>();
  private readonly hashAt = new Map<number, number>();
  /** The highest commit seen by a node in each term. */
  private readonly committedInTerm = new Map<number, CommitRecord>();
  private readonly seenLeaders = new Set<string>();
  private readonly lastCommit = new Map<NodeId, { incarnation: number; commit: number }>();
  commitsChecked = 0;

  /** Log matching: an entry with the same (offset, epoch) is the same batch with the same predecessor. */
  beforePersist(node: SimNode, ready: Ready): void {
    const raft = node.raft!;
    const hardState = ready.hardState;
    const durable = node.durable.hardState;
    if (hardState !== undefined) {
      if (hardState.term < durable.term) violated("term monotonic", `node ${node.id} persists a lower term`);
      if (hardState.commitOffset < durable.commitOffset) {
        violated(
          "commit monotonic",
          `node ${node.id} persists commit ${hardState.commitOffset} < ${durable.commitOffset}`,
        );
      }
    }
    let predecessor: string | undefined;
    for (const entry of ready.entriesToPersist) {
      if (predecessor === undefined) {
        const before = entry.baseOffset - 1;
        predecessor = `${before}/${raft.log.epochOf(before)}`;
      }
      const key = `${entry.lastOffset}/${entry.epoch}`;
      const identity = entryIdentity(entry);
      const known = this.entries.get(key);
      if (known === undefined) this.entries.set(key, { identity, predecessor });
      else if (known.identity !== identity || known.predecessor !== predecessor) {
        violated("log matching", `node ${node.id} entry ${key} differs from another log's`);
      }
      predecessor = key;
    }
  }

  /** State machine safety: nodes apply the same entries, in order, with no gap. */
  onApply(node: SimNode, entry: Entry, hashAfter: number): void {
    if (entry.baseOffset !== node.appliedOffset + 1) {
      violated("apply order", `node ${node.id} applies ${entry.baseOffset} after ${node.appliedOffset}`);
    }
    const identity = entryIdentity(entry);
    const known = this.appliedAt.get(entry.lastOffset);
    if (known === undefined) {
      this.appliedAt.set(entry.lastOffset, identity);
      this.hashAt.set(entry.lastOffset, hashAfter);
    } else if (known !== identity || this.hashAt.get(entry.lastOffset) !== hashAfter) {
      violated(
        "state machine safety",
        `node ${node.id} applies a different entry at offset ${entry.lastOffset}`,
      );
    }
  }

  onSnapshotRestored(node: SimNode): void {
    const known = this.hashAt.get(node.appliedOffset);
    if (known !== undefined && known !== node.appliedHash) {
      violated(
        "state machine safety",
        `node ${node.id} restores a snapshot that differs at ${node.appliedOffset}`,
      );
    }
  }

  afterStep(nodes: readonly SimNode[]): void {
    for (const node of nodes) {
      const raft = node.raft;
      if (raft === undefined) continue;
      this.checkCommit(node, nodes);
      if (raft.role === "leader") this.checkLeader(node);
    }
    this.rememberVoters(nodes);
  }

  private checkLeader(node: SimNode): void {
    const raft = node.raft!;
    const term = raft.term;
    const known = this.leaderOfTerm.get(term);
    if (known === undefined) this.leaderOfTerm.set(term, node.id);
    else if (known !== node.id)
      violated("election safety", `nodes ${known} and ${node.id} both lead term ${term}`);
    const seen = `${node.id}@${term}`;
    if (this.seenLeaders.has(seen)) return;
    this.seenLeaders.add(seen);
    for (const [committedTerm, record] of this.committedInTerm) {
      if (committedTerm < term) this.checkHolds(node, record, committedTerm);
    }
  }

  /** Leader completeness: a leader of a later term holds every entry committed before. */
  private checkHolds(leader: SimNode, record: CommitRecord, committedTerm: number): void {
    const log = leader.raft!.log;
    if (record.offset <= log.mark().lastOffset) return;
    if (log.epochOf(record.offset) !== record.epoch) {
      violated(
        "leader completeness",
        `leader ${leader.id} of term ${leader.raft!.term} lacks offset ${record.offset} epoch ${record.epoch} committed in term ${committedTerm}`,
      );
    }
  }

  private checkCommit(node: SimNode, nodes: readonly SimNode[]): void {
    const raft = node.raft!;
    const commit = raft.commitOffset;
    const last = this.lastCommit.get(node.id);
    if (last !== undefined && last.incarnation === node.incarnation) {
      if (commit < last.commit)
        violated("commit monotonic", `node ${node.id} commit ${commit} < ${last.commit}`);
      if (commit === last.commit) return;
    }
    this.lastCommit.set(node.id, { incarnation: node.incarnation, commit });
    if (commit < 0 || commit <= raft.log.mark().lastOffset) return;
    const epoch = raft.log.epochOf(commit);
    if (epoch === undefined) violated("commit within log", `node ${node.id} commit ${commit} beyond its log`);
    // The leader decided this commit with the membership it had before the step (or the one it just applied).
    if (raft.role === "leader") this.checkDurableMajority(node, nodes, commit, epoch);
    const previous = this.committedInTerm.get(raft.term);
    if (previous === undefined || previous.offset < commit) {
      const record = { offset: commit, epoch };
      this.committedInTerm.set(raft.term, record);
      for (const other of nodes) {
        if (other.raft?.role === "leader" && other.raft.term > raft.term)
          this.checkHolds(other, record, raft.term);
      }
    }
  }

  /** Every entry reported committed is durable on a majority of the voters. */
  private checkDurableMajority(
    node: SimNode,
    nodes: readonly SimNode[],
    offset: number,
    epoch: number,
  ): void {
    this.commitsChecked += 1;
    const holds = (id: NodeId): boolean =>
      nodes.find((candidate) => candidate.id === id)?.holdsDurably(offset, epoch) ?? false;
    const configs = [node.raft!.config.voters, this.votersBeforeStep.get(node.id) ?? []];
    const majorityOf = (voters: readonly NodeId[]) =>
      voters.length > 0 && voters.filter(holds).length >= Math.floor(voters.length / 2) + 1;
    if (!configs.some(majorityOf)) {
      violated(
        "committed is durable on a majority",
        `offset ${offset} epoch ${epoch} of voters ${configs[0]}`,
      );
    }
  }

  /** Each node's voters at the end of the last step: the membership its next commits are decided by. */
  private readonly votersBeforeStep = new Map<NodeId, readonly NodeId[]>();

  private rememberVoters(nodes: readonly SimNode[]): void {
    for (const node of nodes)
      if (node.raft !== undefined) this.votersBeforeStep.set(node.id, node.raft.config.voters);
  }

  /** Committed entries are never lost: at the end, every applied offset is still agreed by all live nodes. */
  finalCheck(nodes: readonly SimNode[]): void {
    for (const node of nodes) {
      const raft = node.raft;
      if (raft === undefined) continue;
      for (const [term, record] of this.committedInTerm) {
        if (term <= raft.term && raft.role === "leader") this.checkHolds(node, record, term);
      }
    }
  }
}
