// Hands out idempotent producer ids that never repeat, even across restarts and leader changes: ids are reserved
// in blocks through the metadata log (a "producer-ids" record moves the cluster's high mark), as Kafka's
// controller does with AllocateProducerIds, and handed out one by one from the block held in memory. A crash
// wastes at most the rest of a block; it can never hand out an id twice.

import type { MetadataService } from "./metadata/metadata-service.ts";

/** Ids reserved per metadata write (Kafka's ProducerIdManager uses blocks of 1000). */
export const producerIdBlockSize = 1000;

export class ProducerIdAllocator {
  private next = 0;
  private blockEnd = 0;
  private reserving: Promise<void> | null = null;

  constructor(private readonly metadata: MetadataService) {}

  async allocate(): Promise<bigint> {
    while (this.next >= this.blockEnd) {
      this.reserving ??= this.reserveBlock().finally(() => {
        this.reserving = null;
      });
      await this.reserving;
    }
    return BigInt(this.next++);
  }

  private async reserveBlock(): Promise<void> {
    let start = 0;
    const result = await this.metadata.execute((state) => {
      start = state.nextProducerId;
      return { ok: true, records: [{ type: "producer-ids", nextProducerId: start + producerIdBlockSize }] };
    });
    if (!result.ok) throw new Error(`reserving producer ids failed: ${result.message}`);
    this.next = start;
    this.blockEnd = start + producerIdBlockSize;
  }
}
