// Proves the response queue releases answers strictly in ticket order whatever order they complete in,
// skips "no response" tickets without blocking, and never holds more tickets than its capacity.

import { describe, expect, test } from "bun:test";
import { ResponseQueue } from "../../src/broker/response-queue.ts";

const bytes = (value: number) => new Uint8Array([value]);

/** The non-null responses `takeReady` releases, checking the tickets come out consecutively. */
function take(queue: ResponseQueue): Uint8Array[] {
  const responses: Uint8Array[] = [];
  let previous: number | null = null;
  queue.takeReady((ticket, response) => {
    if (previous !== null) expect(ticket).toBe(previous + 1);
    previous = ticket;
    if (response !== null) responses.push(response);
  });
  return responses;
}

describe("ResponseQueue", () => {
  test("out-of-order completions come out in ticket order, nulls skipped", () => {
    const queue = new ResponseQueue({ capacity: 4 });
    const tickets = [queue.enqueue(), queue.enqueue(), queue.enqueue(), queue.enqueue()];
    expect(queue.isFull).toBe(true);
    queue.complete(tickets[2]!, bytes(2));
    queue.complete(tickets[1]!, null);
    expect(take(queue)).toEqual([]);
    expect(queue.completedBytes).toBe(1);
    queue.complete(tickets[0]!, bytes(0));
    expect(take(queue)).toEqual([bytes(0), bytes(2)]);
    expect(queue.size).toBe(1);
    expect(queue.completedBytes).toBe(0);
    queue.complete(tickets[3]!, bytes(3));
    expect(take(queue)).toEqual([bytes(3)]);
    expect(queue.size).toBe(0);
  });

  test("slots are reused around the ring across many tickets", () => {
    const queue = new ResponseQueue({ capacity: 3 });
    const released: number[] = [];
    for (let round = 0; round < 50; round++) {
      const tickets = [queue.enqueue(), queue.enqueue(), queue.enqueue()];
      for (const ticket of [...tickets].reverse()) queue.complete(ticket, bytes(ticket & 0xff));
      for (const response of take(queue)) released.push(response[0]!);
    }
    expect(released).toEqual(Array.from({ length: 150 }, (_, i) => i & 0xff));
  });

  test("enqueue past capacity and double completion are bugs", () => {
    const queue = new ResponseQueue({ capacity: 1 });
    const ticket = queue.enqueue();
    expect(() => queue.enqueue()).toThrow();
    queue.complete(ticket, null);
    expect(() => queue.complete(ticket, null)).toThrow();
  });
});
