// The Raft core's messages (raft/core/types.ts) as a RaftBatch of proto/chronik/raft/v1/raft.proto, and back.
// Every field travels; from and to do not, since every message of a call is from its caller and to its callee
// (the encoder asserts it, the decoder fills them in).
//
// Written by hand on the wire format (wire.ts) rather than through protobuf-es's reflection: that path cost
// 3-6 µs of CPU per small append each way and copied a payload once per level of nesting, where this writes
// each payload once into a buffer allocated at its exact size and decodes straight into the core's types,
// with payloads as views of the received bytes (an entry kept in memory keeps its call's body alive; calls
// are bounded by callBytesMax). The output is byte for byte what protobuf-es writes for the same messages
// (test/raft/transport/codec.test.ts holds it to that, and decodes protobuf-es output too).
//
// A decoded batch is checked before any of it is used: numbers in range, one body per message, entries
// contiguous and of a known kind, a config exactly on config entries, snapshot chunks inside their snapshot,
// valid UTF-8 group ids. A peer that breaks these gets its whole call refused, never an assertion of the core.
// Unknown fields are skipped (a newer peer's); a singular field seen twice is refused, where protobuf would
// keep the last: no encoder of this protocol writes one twice.
export type { DecodeResult } from "./decode.ts";
export { decodeRaftBatch } from "./decode.ts";
export {
  deliverRequestBytes,
  encodeRaftBatch,
  messageBytesUpperBound,
  requestOverheadBytesMax,
} from "./encode.ts";
export { groupIdLengthMax } from "./raft-batch-schema.ts";
