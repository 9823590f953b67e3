// Cuts a TCP byte stream into Kafka frames: an int32 big-endian size, then that many bytes.
// Chunks are kept in a list and each frame is copied at most once: a frame wholly inside one chunk is a
// subarray of it (no copy); one spanning chunks is copied once into its own buffer when its last byte
// arrives. A size prefix is judged before any byte of its frame is kept, so a hostile prefix costs nothing.
// Frames are produced on demand (`next`) so the caller decides how many to take before it stops reading.

import { assert } from "../base/assert.ts";
import { uninitializedBytes } from "../base/bytes.ts";

export const sizePrefixBytes = 4;

/** Why the stream cannot go on; the connection must close. After a rejection, `next` returns it forever. */
export class FrameRejection {
  readonly reason: string;
  readonly sizeBytes: number;
  constructor(reason: string, sizeBytes: number) {
    this.reason = reason;
    this.sizeBytes = sizeBytes;
  }
}

export class FrameSplitter {
  readonly #frameBytesMax: number;
  readonly #chunks: Uint8Array[] = [];
  /** Index in #chunks of the first chunk with unconsumed bytes, and the offset of its first such byte. */
  #head = 0;
  #headOffset = 0;
  #bufferedBytes = 0;
  /** Size of the frame being assembled, -1 while its size prefix has not arrived. */
  #frameBytes = -1;
  #rejection: FrameRejection | null = null;

  constructor(options: { frameBytesMax: number }) {
    assert(options.frameBytesMax >= 0 && options.frameBytesMax <= 0x7fff_ffff, "frameBytesMax is an int32");
    this.#frameBytesMax = options.frameBytesMax;
  }

  /** Bytes received and not yet returned in a frame (size prefixes already read are not counted). */
  get bufferedBytes(): number {
    return this.#bufferedBytes;
  }

  push(chunk: Uint8Array): void {
    if (this.#rejection !== null || chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#bufferedBytes += chunk.length;
  }

  /** The next complete frame (without its size prefix), null if more bytes are needed, or a rejection. */
  next(): Uint8Array | null | FrameRejection {
    if (this.#rejection !== null) return this.#rejection;
    if (this.#frameBytes < 0) {
      if (this.#bufferedBytes < sizePrefixBytes) return null;
      const size = this.#readInt32();
      if (size < 0) return this.#reject(`negative size prefix ${size}`, size);
      if (size > this.#frameBytesMax) {
        return this.#reject(`size prefix ${size} exceeds requestBytesMax ${this.#frameBytesMax}`, size);
      }
      this.#frameBytes = size;
    }
    if (this.#bufferedBytes < this.#frameBytes) return null;
    const frame = this.#take(this.#frameBytes);
    this.#frameBytes = -1;
    return frame;
  }

  #reject(reason: string, sizeBytes: number): FrameRejection {
    this.#rejection = new FrameRejection(reason, sizeBytes);
    this.#chunks.length = 0;
    this.#head = 0;
    this.#headOffset = 0;
    this.#bufferedBytes = 0;
    return this.#rejection;
  }

  #readInt32(): number {
    const chunk = this.#chunks[this.#head]!;
    const at = this.#headOffset;
    if (chunk.length - at >= sizePrefixBytes) {
      const value = (chunk[at]! << 24) | (chunk[at + 1]! << 16) | (chunk[at + 2]! << 8) | chunk[at + 3]!;
      this.#consume(sizePrefixBytes);
      return value;
    }
    const bytes = this.#take(sizePrefixBytes);
    return (bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!;
  }

  /** Removes `length` buffered bytes from the front: a subarray if they lie in one chunk, else one copy. */
  #take(length: number): Uint8Array {
    assert(length <= this.#bufferedBytes, "take within buffered bytes");
    if (length === 0) return new Uint8Array(0);
    const chunk = this.#chunks[this.#head]!;
    const at = this.#headOffset;
    if (chunk.length - at >= length) {
      this.#consume(length);
      return chunk.subarray(at, at + length);
    }
    const out = uninitializedBytes(length);
    let filled = 0;
    while (filled < length) {
      const current = this.#chunks[this.#head]!;
      const count = Math.min(current.length - this.#headOffset, length - filled);
      out.set(current.subarray(this.#headOffset, this.#headOffset + count), filled);
      filled += count;
      this.#consume(count);
    }
    return out;
  }

  /** Advances past `length` bytes of the head chunk (never more than it holds). */
  #consume(length: number): void {
    const chunk = this.#chunks[this.#head]!;
    assert(this.#headOffset + length <= chunk.length, "consume within the head chunk");
    this.#headOffset += length;
    this.#bufferedBytes -= length;
    if (this.#headOffset < chunk.length) return;
    this.#head += 1;
    this.#headOffset = 0;
    if (this.#head === this.#chunks.length) {
      this.#chunks.length = 0;
      this.#head = 0;
    } else if (this.#head >= 1024) {
      // Drop consumed chunks in bulk so a frame assembled from thousands of chunks stays linear.
      this.#chunks.splice(0, this.#head);
      this.#head = 0;
    }
  }
}
