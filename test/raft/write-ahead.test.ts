// Proves the core's write-ahead contract (advance(ready, "written") then entriesDurable): a leader's own log
// counts toward a commit only once reported durable, a stale report cannot vouch for entries that replaced the
// ones it was about, and a Ready that must be durable first cannot be advanced as merely written.
import { describe, expect, test } from "bun:test";
import { raftConfigDefaults } from "../../src/raft/core/config.ts";
import { MemoryLog } from "../../src/raft/core/memory-log.ts";
import { RaftNode } from "../../src/raft/core/raft-node.ts";
import type { MembershipConfig, Ready } from "../../src/raft/core/types.ts";

const solo: MembershipConfig = { voters: [1], learners: [] };

/** A fresh lone voter over an empty MemoryLog. */
function soloNode(): { node: RaftNode; log: MemoryLog } {
  const log = new MemoryLog(solo);
  const node = new RaftNode({
    config: { ...raftConfigDefaults, id: 1, randomInt: () => 0 },
    storage: log,
    hardState: { term: 0, votedFor: null, commitOffset: -1, config: solo },
  });
  return { node, log };
}

/** A lone voter, elected over its empty log (so with no control batch) and with nothing in flight. */
function soloLeader(): { node: RaftNode; log: MemoryLog } {
  const { node, log } = soloNode();
  node.campaign();
  while (node.hasReady()) persistDurably(node, log);
  expect(node.role).toBe("leader");
  expect(node.commitOffset).toBe(-1);
  return { node, log };
}

function persistDurably(node: RaftNode, log: MemoryLog): void {
  const ready = node.ready();
  log.append(ready.entriesToPersist);
  node.advance(ready);
}

function writeAhead(node: RaftNode, log: MemoryLog): Ready {
  const ready = node.ready();
  expect(node.mayAdvanceWritten(ready)).toBe(true);
  log.append(ready.entriesToPersist);
  node.advance(ready, "written");
  return ready;
}

function propose(node: RaftNode, value: number): number {
  const result = node.propose([{ recordCount: 1, byteSize: 8, payload: new Uint8Array([value]) }]);
  if (!result.ok) throw new Error(result.refusal);
  return result.lastOffset;
}

describe("write-ahead", () => {
  test("a leader commits its written entries only once they are reported durable, in order", () => {
    const { node, log } = soloLeader();
    const first = propose(node, 1);
    writeAhead(node, log);
    const second = propose(node, 2);
    writeAhead(node, log);
    expect(node.commitOffset).toBe(-1);
    expect(node.hasReady()).toBe(false);
    node.entriesDurable(first, node.term);
    expect(node.commitOffset).toBe(first);
    node.entriesDurable(second, node.term);
    expect(node.commitOffset).toBe(second);
    // A repeated or older report changes nothing.
    node.entriesDurable(first, node.term);
    expect(node.commitOffset).toBe(second);
  });

  test("a leader commits its own epoch's entries without asking the log for their epochs", () => {
    // The broker's log answers batchAt for an older batch by reading the disk: on the commit path, once per
    // sync, that read cost the event loop. A leader knows its own epoch's entries from termStartOffset on.
    const { node, log } = soloLeader();
    const offsets = [propose(node, 1), propose(node, 2), propose(node, 3)];
    writeAhead(node, log);
    const lookups: number[] = [];
    const batchAt = log.batchAt.bind(log);
    log.batchAt = (offset) => {
      lookups.push(offset);
      return batchAt(offset);
    };
    for (const offset of offsets) {
      node.entriesDurable(offset, node.term);
      expect(node.commitOffset).toBe(offset);
    }
    expect(lookups).toEqual([]);
  });

  test("a report naming an entry the log no longer holds (other epoch) is ignored", () => {
    const { node, log } = soloLeader();
    const offset = propose(node, 1);
    writeAhead(node, log);
    node.entriesDurable(offset, node.term + 1);
    expect(node.commitOffset).toBe(-1);
    node.entriesDurable(offset + 5, node.term);
    expect(node.commitOffset).toBe(-1);
    node.entriesDurable(offset, node.term);
    expect(node.commitOffset).toBe(offset);
  });

  test("a Ready that changes the term or vote must be durable before it is advanced", () => {
    const { node } = soloNode();
    node.campaign();
    const ready = node.ready();
    expect(ready.hardState?.term).toBe(1);
    expect(node.mayAdvanceWritten(ready)).toBe(false);
    expect(() => node.advance(ready, "written")).toThrow(/must be durable/);
  });
});
