// Proves producer ids never repeat: concurrent allocations share one block reservation, a new allocator (a
// restarted broker) continues past every block reserved before, and blocks move the metadata's mark forward.

import { expect, test } from "bun:test";
import { ProducerIdAllocator, producerIdBlockSize } from "../../src/cluster/producer-ids.ts";
import { InMemoryMetadata } from "../support/in-memory-metadata.ts";

test("ids are unique across concurrent calls and across allocators over the same metadata", async () => {
  const metadata = new InMemoryMetadata();
  const first = new ProducerIdAllocator(metadata);
  const ids = await Promise.all(Array.from({ length: 1500 }, () => first.allocate()));
  expect(new Set(ids).size).toBe(1500);
  expect(metadata.state.nextProducerId).toBe(2 * producerIdBlockSize);
  const restarted = new ProducerIdAllocator(metadata);
  const after = await restarted.allocate();
  expect(after).toBe(BigInt(2 * producerIdBlockSize));
  expect(ids).not.toContain(after);
});
