// The queue of one peer's sender, in two lanes, so a follower catching up never delays live replication to the
// same peer. Catch-up is a snapshot chunk, or an append whose entries are all committed already (the follower
// is behind the commit: no produce waits on it); everything else is live — votes, heartbeats, answers, and the
// appends a commit waits for. A call takes live messages first, up to callBytesTarget, then catch-up in what
// remains of it — and at least one catch-up message whenever any waits, so heavy live traffic cannot starve a
// follower's catch-up either. Catch-up bytes in one call are therefore bounded by callBytesTarget (or one
// message, when a single one is larger).
//
// One group's appends must reach the follower in the order they were sent (an overtaken one is refused as a
// gap, and the leader starts probing again): while a group has catch-up messages queued, its appends join them
// in the catch-up lane, whatever they carry. Heartbeats, votes and answers need no such order.

import type { Message } from "../core/index.ts";
import type { GroupMessage } from "../node/transport.ts";

export function isCatchUp(message: Message): boolean {
  if (message.type === "snapshot") return true;
  if (message.type !== "append") return false;
  const last = message.entries.at(-1);
  return last !== undefined && last.lastOffset <= message.commitOffset;
}

/** One FIFO lane: items[head..] with their encoded size bounds; compacted when the head passes half. */
class Lane {
  items: GroupMessage[] = [];
  sizes: number[] = [];
  head = 0;
  bytes = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: GroupMessage, size: number): void {
    this.items.push(item);
    this.sizes.push(size);
    this.bytes += size;
  }

  peekSize(): number {
    return this.sizes[this.head]!;
  }

  shift(): GroupMessage {
    const item = this.items[this.head]!;
    this.bytes -= this.sizes[this.head]!;
    this.head += 1;
    this.compact();
    return item;
  }

  /** Puts messages back at the head, in their order. */
  unshift(items: readonly GroupMessage[], sizes: readonly number[]): void {
    this.items = [...items, ...this.items.slice(this.head)];
    this.sizes = [...sizes, ...this.sizes.slice(this.head)];
    this.head = 0;
    for (const size of sizes) this.bytes += size;
  }

  clear(): void {
    this.items = [];
    this.sizes = [];
    this.head = 0;
    this.bytes = 0;
  }

  private compact(): void {
    if (this.head === this.items.length) {
      this.clear();
    } else if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.sizes = this.sizes.slice(this.head);
      this.head = 0;
    }
  }
}

export interface CallBounds {
  /** Bytes a call is filled to (a single larger message still goes). */
  readonly targetBytes: number;
  /** Bytes no call may pass. */
  readonly budgetBytes: number;
  readonly messagesMax: number;
}

export class SendLanes {
  private readonly live = new Lane();
  private readonly catchUp = new Lane();
  /** Catch-up messages queued per group: that group's appends queue behind them. */
  private readonly catchUpByGroup = new Map<string, number>();

  get length(): number {
    return this.live.length + this.catchUp.length;
  }

  get bytes(): number {
    return this.live.bytes + this.catchUp.bytes;
  }

  get catchUpLength(): number {
    return this.catchUp.length;
  }

  push(item: GroupMessage, size: number): void {
    const message = item.message;
    const behindCatchUp = message.type === "append" && this.catchUpByGroup.has(item.groupId);
    if (isCatchUp(message) || behindCatchUp) {
      this.catchUp.push(item, size);
      this.catchUpByGroup.set(item.groupId, (this.catchUpByGroup.get(item.groupId) ?? 0) + 1);
    } else {
      this.live.push(item, size);
    }
  }

  /** Drops the oldest message, catch-up first (Raft resends either); returns its size. */
  dropOldest(): number {
    const lane = this.catchUp.length > 0 ? this.catchUp : this.live;
    const size = lane.peekSize();
    this.taken(lane, lane.shift());
    return size;
  }

  /**
   * The next call's messages, live first: at least one message, and at least one catch-up message when any
   * waits. `liveCount` says how many of them came from the live lane (a failed call puts them back there).
   */
  take(bounds: CallBounds): { messages: GroupMessage[]; liveCount: number; bytes: number } {
    const messages: GroupMessage[] = [];
    let bytes = 0;
    const fill = (lane: Lane, atLeastOne: boolean) => {
      let first = atLeastOne;
      while (lane.length > 0 && messages.length < bounds.messagesMax) {
        const size = lane.peekSize();
        if (bytes + size > bounds.budgetBytes) break;
        if (!first && bytes + size > bounds.targetBytes) break;
        first = false;
        bytes += size;
        messages.push(lane.shift());
        this.taken(lane, messages.at(-1)!);
      }
    };
    fill(this.live, true);
    const liveCount = messages.length;
    fill(this.catchUp, true);
    return { messages, liveCount, bytes };
  }

  /** Puts a failed call's messages back at the heads of their lanes, in their order. */
  requeue(
    messages: readonly GroupMessage[],
    liveCount: number,
    sizeOf: (item: GroupMessage) => number,
  ): void {
    const live = messages.slice(0, liveCount);
    const catchUp = messages.slice(liveCount);
    this.live.unshift(live, live.map(sizeOf));
    this.catchUp.unshift(catchUp, catchUp.map(sizeOf));
    for (const item of catchUp) {
      this.catchUpByGroup.set(item.groupId, (this.catchUpByGroup.get(item.groupId) ?? 0) + 1);
    }
  }

  clear(): void {
    this.live.clear();
    this.catchUp.clear();
    this.catchUpByGroup.clear();
  }

  private taken(lane: Lane, item: GroupMessage): void {
    if (lane !== this.catchUp) return;
    const left = this.catchUpByGroup.get(item.groupId)! - 1;
    if (left === 0) this.catchUpByGroup.delete(item.groupId);
    else this.catchUpByGroup.set(item.groupId, left);
  }
}
