// Proves the Raft transport's codec: every core message type survives encode → decode with every field intact
// (seeded random messages), the bytes are exactly protobuf-es's for raft.proto and protobuf-es's bytes decode,
// size bounds hold, and a malformed batch is refused whole, naming the field, never with an exception.
import { describe, expect, test } from "bun:test";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { Prng } from "../../../src/base/prng.ts";
import {
  DeliverRequestSchema,
  EntryKind as EntryKindProto,
  RaftBatchSchema,
} from "../../../src/gen/chronik/raft/v1/raft_pb.ts";
import type { Entry, EntryKind, MembershipConfig, Message } from "../../../src/raft/core/index.ts";
import type { GroupMessage } from "../../../src/raft/node/transport.ts";
import {
  decodeRaftBatch,
  deliverRequestBytes,
  encodeRaftBatch,
  groupIdLengthMax,
  messageBytesUpperBound,
} from "../../../src/raft/transport/codec.ts";
import { referenceDecode, referenceEncode } from "./reference-codec.ts";

const from = 1;
const to = 2;
const call = { from, to, messagesMax: 1_000_000 };
const messageTypes: readonly Message["type"][] = [
  "vote",
  "voteResponse",
  "append",
  "appendResponse",
  "heartbeat",
  "heartbeatResponse",
  "snapshot",
  "snapshotResponse",
  "timeoutNow",
];

/** Numbers drawn to hit the edges: 0, 1, -1 where allowed, 2^31 and 2^53 - 1, and anything between. */
function count(prng: Prng): number {
  switch (prng.int(5)) {
    case 0:
      return 0;
    case 1:
      return Number.MAX_SAFE_INTEGER;
    case 2:
      return 2 ** 31 + prng.int(1000);
    default:
      return prng.int(1_000_000);
  }
}

function offset(prng: Prng): number {
  return prng.chance(0.2) ? -1 : count(prng);
}

function bytes(prng: Prng, lengthMax: number): Uint8Array {
  const out = new Uint8Array(prng.int(lengthMax + 1));
  for (let index = 0; index < out.length; index++) out[index] = prng.int(256);
  return out;
}

function membership(prng: Prng): MembershipConfig {
  const ids = (n: number) => Array.from({ length: n }, () => prng.int(2 ** 31));
  return { voters: ids(prng.between(1, 5)), learners: ids(prng.int(3)) };
}

function entries(prng: Prng, prevOffset: number): Entry[] {
  const out: Entry[] = [];
  let next = prevOffset + 1;
  for (let index = prng.int(5); index > 0; index--) {
    const kind = prng.pick<EntryKind>(["data", "control", "config"]);
    const lastOffset = next + prng.int(100);
    const entry = {
      baseOffset: next,
      lastOffset,
      epoch: count(prng),
      kind,
      byteSize: count(prng),
      payload: bytes(prng, 200),
    };
    out.push(kind === "config" ? { ...entry, config: membership(prng) } : entry);
    next = lastOffset + 1;
  }
  return out;
}

function randomMessage(prng: Prng, type: Message["type"]): Message {
  const base = { from, to, term: count(prng) };
  switch (type) {
    case "vote":
      return {
        ...base,
        type,
        preVote: prng.chance(0.5),
        lastOffset: offset(prng),
        lastEpoch: count(prng),
        transfer: prng.chance(0.5),
      };
    case "voteResponse":
      return { ...base, type, preVote: prng.chance(0.5), granted: prng.chance(0.5) };
    case "append": {
      const prevOffset = prng.chance(0.2) ? -1 : prng.int(1_000_000);
      return {
        ...base,
        type,
        prevOffset,
        prevEpoch: count(prng),
        entries: entries(prng, prevOffset),
        commitOffset: offset(prng),
      };
    }
    case "appendResponse":
      return {
        ...base,
        type,
        reject: prng.chance(0.5),
        matchOffset: offset(prng),
        hintOffset: offset(prng),
        hintEpoch: count(prng),
      };
    case "heartbeat":
      return { ...base, type, commitOffset: offset(prng), readRequestId: offset(prng) };
    case "heartbeatResponse":
      return { ...base, type, readRequestId: offset(prng) };
    case "snapshot": {
      const chunk = bytes(prng, 300);
      const chunkStart = prng.int(1000);
      return {
        ...base,
        type,
        meta: { lastOffset: offset(prng), lastEpoch: count(prng), config: membership(prng) },
        dataBytes: chunkStart + chunk.length + prng.int(1000),
        chunkStart,
        chunk,
      };
    }
    case "snapshotResponse":
      return { ...base, type, snapshotLastOffset: offset(prng), receivedBytes: count(prng) };
    case "timeoutNow":
      return { ...base, type };
  }
}

function randomBatch(prng: Prng, length: number): GroupMessage[] {
  const groups = ["orders-0", "orders-1", "__cluster_metadata-0", "ü-topic-7"];
  return Array.from({ length }, () => ({
    groupId: prng.pick(groups),
    message: randomMessage(prng, prng.pick(messageTypes)),
  }));
}

function roundTrip(batch: readonly GroupMessage[]): GroupMessage[] {
  const decoded = decodeRaftBatch(encodeRaftBatch(batch, from, to), call);
  if (!decoded.ok) throw new Error(decoded.reason);
  return decoded.batch;
}

describe("round trips", () => {
  test("every message type, 200 random messages each, comes back equal", () => {
    const prng = new Prng(18);
    for (const type of messageTypes) {
      const batch = Array.from({ length: 200 }, () => ({
        groupId: "orders-0",
        message: randomMessage(prng, type),
      }));
      expect(roundTrip(batch)).toEqual(batch);
    }
  });

  test("mixed batches keep their order across groups; consecutive messages of a group share one run", () => {
    const prng = new Prng(7);
    for (let round = 0; round < 50; round++) {
      const batch = randomBatch(prng, prng.int(40));
      expect(roundTrip(batch)).toEqual(batch);
      let runs = 0;
      for (let index = 0; index < batch.length; index++) {
        if (index === 0 || batch[index]!.groupId !== batch[index - 1]!.groupId) runs += 1;
      }
      expect(fromBinary(RaftBatchSchema, encodeRaftBatch(batch, from, to)).groups.length).toBe(runs);
    }
  });

  test("the bytes are protobuf-es's own for raft.proto, and protobuf-es's bytes decode to the same messages", () => {
    const prng = new Prng(2024);
    for (let round = 0; round < 300; round++) {
      const batch = randomBatch(prng, prng.int(30));
      const ours = encodeRaftBatch(batch, from, to);
      const theirs = referenceEncode(batch, from, to);
      expect(ours).toEqual(theirs);
      const decoded = referenceDecode(ours, call);
      if (!decoded.ok) throw new Error(decoded.reason);
      expect(decoded.batch).toEqual(batch);
    }
  });

  test("a decoded payload is a view of the received bytes, not a copy", () => {
    const payload = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
    const message: Message = {
      type: "append",
      from,
      to,
      term: 2,
      prevOffset: -1,
      prevEpoch: 0,
      entries: [{ baseOffset: 0, lastOffset: 3, epoch: 2, kind: "data", byteSize: 8, payload }],
      commitOffset: -1,
    };
    const encoded = encodeRaftBatch([{ groupId: "g", message }], from, to);
    const decoded = decodeRaftBatch(encoded, call);
    if (!decoded.ok) throw new Error(decoded.reason);
    const got = decoded.batch[0]!.message;
    if (got.type !== "append") throw new Error("not an append");
    expect(got.entries[0]!.payload).toEqual(payload);
    expect(got.entries[0]!.payload.buffer).toBe(encoded.buffer);
  });

  test("an empty batch (a probe) encodes to no bytes and decodes to no messages", () => {
    expect(encodeRaftBatch([], from, to).byteLength).toBe(0);
    expect(decodeRaftBatch(new Uint8Array(0), call)).toEqual({ ok: true, batch: [] });
  });

  test("a message from or to another node than the call's is a bug", () => {
    const message: Message = { type: "timeoutNow", from: 3, to, term: 1 };
    expect(() => encodeRaftBatch([{ groupId: "g", message }], from, to)).toThrow("in a call 1→2");
  });
});

describe("sizes", () => {
  test("messageBytesUpperBound is at least what a message takes encoded", () => {
    const prng = new Prng(99);
    for (let round = 0; round < 2000; round++) {
      const item = randomBatch(prng, 1)[0]!;
      const actual = encodeRaftBatch([item], from, to).byteLength;
      expect(messageBytesUpperBound(item)).toBeGreaterThanOrEqual(actual);
    }
  });

  test("deliverRequestBytes is the exact encoded size of the envelope", () => {
    const prng = new Prng(5);
    for (let round = 0; round < 500; round++) {
      const request = {
        fromNodeId: prng.chance(0.1) ? 0 : prng.int(2 ** 31),
        toNodeId: prng.chance(0.1) ? 0 : prng.int(2 ** 31),
        clusterId: prng.chance(0.3) ? "" : prng.pick(["Zm9vYmFyYmF6cXV4MTIzNA", "cluster-é"]),
        batch: prng.chance(0.1) ? new Uint8Array(prng.int(300_000)) : bytes(prng, 100),
      };
      const encoded = toBinary(DeliverRequestSchema, create(DeliverRequestSchema, request));
      expect(deliverRequestBytes(request)).toBe(encoded.byteLength);
    }
  });
});

describe("malformed batches are refused whole", () => {
  test("random corruptions of valid batches decode or are refused, never throw", () => {
    const prng = new Prng(31337);
    let refused = 0;
    for (let round = 0; round < 3000; round++) {
      const bytes = encodeRaftBatch(randomBatch(prng, 1 + prng.int(4)), from, to).slice();
      if (bytes.length === 0) continue;
      for (let flips = 1 + prng.int(3); flips > 0; flips--) {
        bytes[prng.int(bytes.length)] = prng.chance(0.5) ? prng.int(256) : bytes[prng.int(bytes.length)]!;
      }
      const cut = prng.chance(0.3) ? bytes.subarray(0, prng.int(bytes.length)) : bytes;
      if (!decodeRaftBatch(cut, call).ok) refused += 1;
    }
    expect(refused).toBeGreaterThan(1000);
  });

  test("fields of a newer sender are skipped; ids one by one instead of packed are read", () => {
    const message: Message = { type: "heartbeat", from, to, term: 4, commitOffset: 9, readRequestId: -1 };
    const encoded = encodeRaftBatch([{ groupId: "g", message }], from, to);
    // An unknown varint field 15 (tag 0x78) at the end of the batch and inside the group.
    const withUnknown = new Uint8Array([...encoded, 0x78, 0x05]);
    expect(decodeRaftBatch(withUnknown, call)).toEqual({ ok: true, batch: [{ groupId: "g", message }] });
    const group = encoded.subarray(2);
    const widened = new Uint8Array([0x0a, group.length + 2, ...group, 0x78, 0x01]);
    expect(decodeRaftBatch(widened, call)).toEqual({ ok: true, batch: [{ groupId: "g", message }] });

    const config = { voters: [1, 2, 300], learners: [4] };
    const snapshot: Message = {
      type: "snapshot",
      from,
      to,
      term: 1,
      meta: { lastOffset: 5, lastEpoch: 1, config },
      dataBytes: 0,
      chunkStart: 0,
      chunk: new Uint8Array(0),
    };
    const packed = encodeRaftBatch([{ groupId: "g", message: snapshot }], from, to);
    // Rewrite the membership (voters 1, 2, 300 packed; learner 4 packed) unpacked, fixing the lengths around it.
    const packedMembership = [0x0a, 0x04, 0x01, 0x02, 0xac, 0x02, 0x12, 0x01, 0x04];
    const unpackedMembership = [0x08, 0x01, 0x08, 0x02, 0x08, 0xac, 0x02, 0x10, 0x04];
    const at = indexOf(packed, packedMembership);
    expect(at).toBeGreaterThan(0);
    expect(unpackedMembership.length).toBe(packedMembership.length);
    const unpacked = packed.slice();
    unpacked.set(unpackedMembership, at);
    expect(decodeRaftBatch(unpacked, call)).toEqual({
      ok: true,
      batch: [{ groupId: "g", message: snapshot }],
    });
  });

  test("a message with two bodies, a field of the wrong wire type, a group id that is not UTF-8", () => {
    // groups[0] { groupId "g", messages[0] { timeoutNow {}, heartbeat { commitOffset 1 } } }
    const message = [0x52, 0x00, 0x32, 0x02, 0x08, 0x02];
    const group = [0x0a, 0x01, 0x67, 0x12, message.length, ...message];
    const twoBodies = [0x0a, group.length, ...group];
    expect(decodeRaftBatch(new Uint8Array(twoBodies), call)).toEqual({
      ok: false,
      reason: "groups[0].messages[0]: two bodies (timeoutNow, heartbeat)",
    });
    const wrongType = [0x0a, 0x06, 0x0a, 0x01, 0x67, 0x12, 0x01, 0x0d];
    expect(decodeRaftBatch(new Uint8Array(wrongType), call).ok).toBe(false);
    const notUtf8 = [0x0a, 0x07, 0x0a, 0x01, 0xff, 0x12, 0x02, 0x52, 0x00];
    expect(decodeRaftBatch(new Uint8Array(notUtf8), call)).toEqual({
      ok: false,
      reason: "groups[0].groupId: not UTF-8",
    });
  });

  type BatchInit = MessageInitShape<typeof RaftBatchSchema>;
  const refusal = (init: BatchInit, messagesMax = 1000): string => {
    const result = decodeRaftBatch(toBinary(RaftBatchSchema, create(RaftBatchSchema, init)), {
      from,
      to,
      messagesMax,
    });
    if (result.ok) throw new Error("accepted");
    return result.reason;
  };
  const heartbeat = {
    term: 1n,
    body: { case: "heartbeat" as const, value: { commitOffset: 0n, readRequestId: -1n } },
  };
  const append = (entries: unknown[], prevOffset: bigint) => ({
    term: 1n,
    body: { case: "append" as const, value: { prevOffset, prevEpoch: 0n, entries, commitOffset: -1n } },
  });
  const dataEntry = { baseOffset: 0n, lastOffset: 0n, epoch: 1n, kind: EntryKindProto.DATA, byteSize: 1n };

  test("bytes that are not a RaftBatch", () => {
    const result = decodeRaftBatch(new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 1]), call);
    expect(result.ok).toBe(false);
  });

  test("bad group ids, a message without a body, too many messages", () => {
    expect(refusal({ groups: [{ groupId: "", messages: [heartbeat] }] })).toContain("groups[0].groupId");
    expect(
      refusal({ groups: [{ groupId: "x".repeat(groupIdLengthMax + 1), messages: [heartbeat] }] }),
    ).toContain("groupId");
    expect(refusal({ groups: [{ groupId: "g", messages: [heartbeat, { term: 1n }] }] })).toBe(
      "groups[0].messages[1]: no message body",
    );
    expect(
      refusal(
        {
          groups: [
            { groupId: "a", messages: [heartbeat, heartbeat] },
            { groupId: "b", messages: [heartbeat] },
          ],
        },
        2,
      ),
    ).toBe("more than 2 messages");
  });

  test("numbers out of range", () => {
    const tooBig = BigInt(Number.MAX_SAFE_INTEGER) + 1n;
    expect(refusal({ groups: [{ groupId: "g", messages: [{ ...heartbeat, term: tooBig }] }] })).toContain(
      "groups[0].messages[0].term",
    );
    const below = {
      term: 1n,
      body: { case: "heartbeat" as const, value: { commitOffset: -2n, readRequestId: -1n } },
    };
    expect(refusal({ groups: [{ groupId: "g", messages: [below] }] })).toContain(
      "heartbeat.commitOffset: a negative offset other than -1",
    );
  });

  test("entries out of line, of an unknown kind, or with a config where it does not belong", () => {
    // Entries built loosely (an unknown kind, a config on a data entry): the init type would forbid them.
    const refuseEntries = (entries: unknown[], prevOffset = -1n): string =>
      refusal({ groups: [{ groupId: "g", messages: [append(entries, prevOffset) as never] }] });
    expect(refuseEntries([dataEntry], 5n)).toContain("entries[0].baseOffset: 0, expected 6");
    expect(
      refuseEntries([
        { ...dataEntry, lastOffset: 3n },
        { ...dataEntry, baseOffset: 5n, lastOffset: 5n },
      ]),
    ).toContain("entries[1].baseOffset: 5, expected 4");
    expect(refuseEntries([{ ...dataEntry, baseOffset: 0n, lastOffset: -1n }])).toContain("are not a batch");
    expect(refuseEntries([{ ...dataEntry, kind: EntryKindProto.UNSPECIFIED }])).toContain(
      "not a known entry kind",
    );
    expect(refuseEntries([{ ...dataEntry, kind: 9 }])).toContain("not a known entry kind");
    expect(refuseEntries([{ ...dataEntry, kind: EntryKindProto.CONFIG }])).toContain(
      "missing on a config entry",
    );
    expect(refuseEntries([{ ...dataEntry, config: { voters: [1] } }])).toContain("present on a data entry");
    expect(
      refuseEntries([{ ...dataEntry, kind: EntryKindProto.CONFIG, config: { voters: [1, -4] } }]),
    ).toContain("outside [0, 2147483647]");
  });

  test("snapshot chunks outside their snapshot, or without meta", () => {
    const snapshot = (value: object) => ({ term: 1n, body: { case: "snapshot" as const, value } });
    const meta = { lastOffset: 10n, lastEpoch: 1n, config: { voters: [1, 2, 3] } };
    const chunk = new Uint8Array(10);
    expect(
      refusal({
        groups: [{ groupId: "g", messages: [snapshot({ meta, dataBytes: 15n, chunkStart: 6n, chunk })] }],
      }),
    ).toContain("beyond dataBytes 15");
    expect(
      refusal({ groups: [{ groupId: "g", messages: [snapshot({ dataBytes: 10n, chunk })] }] }),
    ).toContain("snapshot.meta: missing");
  });
});

function indexOf(haystack: Uint8Array, needle: readonly number[]): number {
  for (let at = 0; at + needle.length <= haystack.length; at++) {
    if (needle.every((byte, index) => haystack[at + index] === byte)) return at;
  }
  return -1;
}
