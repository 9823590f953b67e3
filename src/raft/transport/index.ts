// How Raft messages travel between nodes: ConnectRaftTransport (a Connect-RPC client per peer, batched, one
// call in flight, bounded, with backoff) and startRaftServer (the receiving end on --raft-addr) between
// processes; InMemoryRaftNetwork between GroupManagers in one process, for tests. The codec maps the core's
// messages to proto/chronik/raft/v1/raft.proto.
export type { DecodeResult } from "./codec.ts";
export { decodeRaftBatch, encodeRaftBatch, messageBytesUpperBound } from "./codec.ts";
export type { ConnectRaftTransportOptions, RaftPeer } from "./connect-transport.ts";
export { ConnectRaftTransport } from "./connect-transport.ts";
export type { InMemoryCall } from "./in-memory.ts";
export { InMemoryRaftNetwork } from "./in-memory.ts";
export type { RaftTransportLimits } from "./limits.ts";
export { raftTransportLimitsDefaults, resolveRaftTransportLimits } from "./limits.ts";
export type { CallOutcome, PeerStats } from "./peer-sender.ts";
export type { RaftReceiver, RaftServer, RaftServerOptions, RaftServerStats } from "./raft-server.ts";
export { startRaftServer } from "./raft-server.ts";
