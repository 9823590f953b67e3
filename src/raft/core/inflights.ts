// A bounded ring of the append messages in flight to one follower, limited by count and by bytes.
import { assert } from "../../base/assert.ts";

export class Inflights {
  private readonly lastOffsets: number[];
  private readonly byteSizes: number[];
  private start = 0;
  private count = 0;
  private bytes = 0;

  constructor(
    private readonly countMax: number,
    /** 0 means no byte limit. */
    private readonly bytesMax: number,
  ) {
    assert(countMax >= 1, "inflight count limit must be at least 1");
    this.lastOffsets = new Array<number>(countMax).fill(0);
    this.byteSizes = new Array<number>(countMax).fill(0);
  }

  /** Records an append whose last entry ends at lastOffset. */
  add(lastOffset: number, byteSize: number): void {
    assert(!this.full(), "inflights: add while full");
    if (this.count > 0) {
      const newest = this.lastOffsets[(this.start + this.count - 1) % this.countMax]!;
      assert(lastOffset > newest, "inflights: offsets must grow");
    }
    const slot = (this.start + this.count) % this.countMax;
    this.lastOffsets[slot] = lastOffset;
    this.byteSizes[slot] = byteSize;
    this.count += 1;
    this.bytes += byteSize;
  }

  /** Frees every append acknowledged by a match at or past its last offset. */
  freeTo(matchOffset: number): void {
    while (this.count > 0 && this.lastOffsets[this.start]! <= matchOffset) {
      this.bytes -= this.byteSizes[this.start]!;
      this.start = (this.start + 1) % this.countMax;
      this.count -= 1;
    }
    assert(this.bytes >= 0, "inflights: negative bytes");
  }

  full(): boolean {
    return this.count === this.countMax || (this.bytesMax > 0 && this.bytes >= this.bytesMax);
  }

  reset(): void {
    this.start = 0;
    this.count = 0;
    this.bytes = 0;
  }

  get size(): number {
    return this.count;
  }

  get byteTotal(): number {
    return this.bytes;
  }
}
