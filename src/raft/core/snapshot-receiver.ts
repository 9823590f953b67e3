// A follower's assembly of a snapshot sent in chunks: chunks must arrive in order for one snapshot; anything
// else is answered with the bytes held, so the leader resends from there.
import type { Snapshot, SnapshotMessage, SnapshotMeta } from "./types.ts";

export class SnapshotReceiver {
  private meta: SnapshotMeta | undefined;
  private chunks: Uint8Array[] = [];
  private bytes = 0;

  reset(): void {
    this.meta = undefined;
    this.chunks = [];
    this.bytes = 0;
  }

  /** Takes one chunk: the whole snapshot once its last chunk is in, else the bytes held in order. */
  accept(message: SnapshotMessage): Snapshot | number {
    if (message.chunkStart === 0) {
      this.reset();
      this.meta = message.meta;
    }
    if (this.meta?.lastOffset !== message.meta.lastOffset) return 0;
    if (this.bytes !== message.chunkStart) return this.bytes;
    this.chunks.push(message.chunk);
    this.bytes += message.chunk.length;
    if (this.bytes < message.dataBytes) return this.bytes;
    const snapshot = { meta: this.meta, data: concat(this.chunks, this.bytes) };
    this.reset();
    return snapshot;
  }
}

function concat(chunks: readonly Uint8Array[], bytes: number): Uint8Array {
  const data = new Uint8Array(bytes);
  let at = 0;
  for (const chunk of chunks) {
    data.set(chunk, at);
    at += chunk.length;
  }
  return data;
}
