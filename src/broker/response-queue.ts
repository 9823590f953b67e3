// Keeps responses in request order while handlers finish in any order. Each dispatched request takes a
// ticket; completing a ticket stores its response (or null for "no response"); `takeReady` hands out the
// completed prefix. The queue holds at most `capacity` tickets, which bounds requests in flight.

import { assert } from "../base/assert.ts";

const pending: unique symbol = Symbol("pending");
type Slot = Uint8Array | null | typeof pending;

export class ResponseQueue {
  readonly #slots: Slot[];
  /** Oldest ticket not yet taken, and the next ticket to hand out; tickets are consecutive integers. */
  #headTicket = 0;
  #tailTicket = 0;
  #completedBytes = 0;

  constructor(options: { capacity: number }) {
    assert(Number.isSafeInteger(options.capacity) && options.capacity > 0, "capacity is a positive integer");
    this.#slots = new Array<Slot>(options.capacity).fill(pending);
  }

  get capacity(): number {
    return this.#slots.length;
  }

  /** Tickets handed out and not yet taken: requests in flight plus answers waiting behind an earlier one. */
  get size(): number {
    return this.#tailTicket - this.#headTicket;
  }

  get isFull(): boolean {
    return this.size === this.#slots.length;
  }

  /** Bytes of completed responses not yet taken (they count against the connection's pending bytes). */
  get completedBytes(): number {
    return this.#completedBytes;
  }

  enqueue(): number {
    assert(!this.isFull, "enqueue into a full response queue");
    const ticket = this.#tailTicket;
    this.#tailTicket += 1;
    assert(this.#slots[ticket % this.#slots.length] === pending, "a free slot is pending");
    return ticket;
  }

  complete(ticket: number, response: Uint8Array | null): void {
    assert(ticket >= this.#headTicket && ticket < this.#tailTicket, "complete a ticket in flight");
    const index = ticket % this.#slots.length;
    assert(this.#slots[index] === pending, "complete a ticket once");
    this.#slots[index] = response;
    if (response !== null) this.#completedBytes += response.length;
  }

  /**
   * Removes the completed tickets at the front, in order, handing each (and its response, or null) to
   * `onTaken`. Returns how many tickets were taken.
   */
  takeReady(onTaken: (ticket: number, response: Uint8Array | null) => void): number {
    const firstTicket = this.#headTicket;
    while (this.#headTicket < this.#tailTicket) {
      const index = this.#headTicket % this.#slots.length;
      const slot = this.#slots[index]!;
      if (slot === pending) break;
      if (slot !== null) this.#completedBytes -= slot.length;
      this.#slots[index] = pending;
      onTaken(this.#headTicket, slot);
      this.#headTicket += 1;
    }
    return this.#headTicket - firstTicket;
  }
}
