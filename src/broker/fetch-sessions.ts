// Incremental fetch sessions (KIP-227). A consumer fetching many partitions sends the full list once; later
// requests name only what changed, and responses carry only partitions with news (records, an error, or a
// moved high watermark, last stable offset or log start offset). Pure: time and ids come in as arguments.
//
//   sessionId  epoch   meaning
//   0          -1      full fetch, no session (pre-KIP-227 clients)
//   0          0       full fetch, create a session if the cache has room
//   ID         0       close session ID, full fetch, create a new session
//   ID         N > 0   incremental fetch in session ID, whose expected epoch must be N
//   ID         -1      close session ID, full fetch without a session

import { assert } from "../base/assert.ts";

export const sessionlessEpoch = -1;
export const initialEpoch = 0;

export interface FetchSessionLimits {
  /** max.incremental.fetch.session.cache.slots: sessions held at once. */
  sessionsMax: number;
  /** A session unused for this long may be evicted to make room for a new one. */
  sessionEvictionMs: number;
  /** Partitions one session may track. */
  partitionsPerSessionMax: number;
}

export const defaultFetchSessionLimits: FetchSessionLimits = {
  sessionsMax: 1000,
  sessionEvictionMs: 120_000,
  partitionsPerSessionMax: 100_000,
};

/** What the client asks of one partition; a session remembers it between requests. */
export interface SessionPartition {
  /** Topic id (v13+) or name: sessions keep to one kind, as Kafka's do. */
  topicKey: string;
  partition: number;
  fetchOffset: number;
  partitionMaxBytes: number;
  logStartOffset: number;
  currentLeaderEpoch: number;
}

/** What the broker found for one partition; compared with what the session last reported. */
export interface PartitionOutcome {
  errorCode: number;
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
  recordBytes: number;
}

interface CachedPartition {
  request: SessionPartition;
  reported: PartitionOutcome | null;
}

interface Session {
  id: number;
  /** The epoch the next incremental request must carry. */
  nextEpoch: number;
  lastUsedMs: number;
  /** Iteration order is fetch order; partitions that returned data move to the back (fairness). */
  partitions: Map<string, CachedPartition>;
}

export type FetchSessionError = "FETCH_SESSION_ID_NOT_FOUND" | "INVALID_FETCH_SESSION_EPOCH";

export interface FetchSessionRequest {
  sessionId: number;
  sessionEpoch: number;
  partitions: readonly SessionPartition[];
  forgotten: ReadonlyArray<{ topicKey: string; partition: number }>;
}

export interface FetchPlan {
  /** Partitions to read, in order. */
  partitions: SessionPartition[];
  /** Call with the outcome of each partition read; returns which to put in the response and the session id. */
  complete(outcomes: ReadonlyMap<string, PartitionOutcome>, nowMs: number): FetchAnswer;
}

export interface FetchAnswer {
  sessionId: number;
  /** Keys (see partitionKey) of the partitions the response carries, in order. */
  include: string[];
}

export function partitionKey(topicKey: string, partition: number): string {
  return `${topicKey}\u0000${partition}`;
}

function changed(previous: PartitionOutcome | null, next: PartitionOutcome): boolean {
  return (
    previous === null ||
    next.errorCode !== 0 ||
    next.recordBytes > 0 ||
    previous.highWatermark !== next.highWatermark ||
    previous.lastStableOffset !== next.lastStableOffset ||
    previous.logStartOffset !== next.logStartOffset
  );
}

function followingEpoch(epoch: number): number {
  return epoch >= 0x7fff_ffff ? 1 : epoch + 1;
}

export class FetchSessionCache {
  private readonly sessions = new Map<number, Session>();

  constructor(
    private readonly limits: FetchSessionLimits,
    /** A candidate session id: a random positive int32 in production. */
    private readonly nextSessionId: () => number,
  ) {}

  get size(): number {
    return this.sessions.size;
  }

  plan(request: FetchSessionRequest, nowMs: number): FetchPlan | FetchSessionError {
    if (request.sessionEpoch === sessionlessEpoch || request.sessionEpoch === initialEpoch) {
      if (request.sessionId !== 0) this.sessions.delete(request.sessionId);
      return this.fullPlan(request, request.sessionEpoch === initialEpoch);
    }
    const session = this.sessions.get(request.sessionId);
    if (!session) return "FETCH_SESSION_ID_NOT_FOUND";
    if (session.nextEpoch !== request.sessionEpoch) return "INVALID_FETCH_SESSION_EPOCH";
    return this.incrementalPlan(session, request, nowMs);
  }

  private fullPlan(request: FetchSessionRequest, createSession: boolean): FetchPlan {
    const partitions = [...request.partitions];
    return {
      partitions,
      complete: (outcomes, nowMs) => {
        const include = partitions.map((partition) => partitionKey(partition.topicKey, partition.partition));
        if (!createSession || partitions.length > this.limits.partitionsPerSessionMax)
          return { sessionId: 0, include };
        const session = this.createSession(nowMs);
        if (!session) return { sessionId: 0, include };
        for (const partition of partitions) {
          const key = partitionKey(partition.topicKey, partition.partition);
          session.partitions.set(key, { request: partition, reported: outcomes.get(key) ?? null });
        }
        return { sessionId: session.id, include };
      },
    };
  }

  private incrementalPlan(session: Session, request: FetchSessionRequest, nowMs: number): FetchPlan {
    session.nextEpoch = followingEpoch(session.nextEpoch);
    session.lastUsedMs = nowMs;
    for (const forgotten of request.forgotten) {
      session.partitions.delete(partitionKey(forgotten.topicKey, forgotten.partition));
    }
    for (const partition of request.partitions) {
      const key = partitionKey(partition.topicKey, partition.partition);
      const cached = session.partitions.get(key);
      if (cached) cached.request = partition;
      else if (session.partitions.size < this.limits.partitionsPerSessionMax) {
        session.partitions.set(key, { request: partition, reported: null });
      }
    }
    const entries = [...session.partitions.entries()];
    return {
      partitions: entries.map(([, cached]) => cached.request),
      complete: (outcomes) => ({
        sessionId: session.id,
        include: this.selectChanged(session, entries, outcomes),
      }),
    };
  }

  /** Keeps what changed since last reported, remembers it, and rotates partitions that returned data. */
  private selectChanged(
    session: Session,
    entries: ReadonlyArray<[string, CachedPartition]>,
    outcomes: ReadonlyMap<string, PartitionOutcome>,
  ): string[] {
    const include: string[] = [];
    for (const [key, cached] of entries) {
      const outcome = outcomes.get(key);
      if (!outcome || !changed(cached.reported, outcome)) continue;
      include.push(key);
      cached.reported = outcome;
      if (outcome.recordBytes > 0 && session.partitions.delete(key)) session.partitions.set(key, cached);
    }
    return include;
  }

  private createSession(nowMs: number): Session | null {
    if (this.sessions.size >= this.limits.sessionsMax && !this.evictOne(nowMs)) return null;
    let id = this.nextSessionId();
    for (let attempt = 0; id <= 0 || this.sessions.has(id); attempt++) {
      assert(attempt < 100, "session id source keeps repeating itself");
      id = this.nextSessionId();
    }
    const session: Session = { id, nextEpoch: 1, lastUsedMs: nowMs, partitions: new Map() };
    this.sessions.set(id, session);
    return session;
  }

  /** Evicts the least recently used session if it has been idle long enough; false if none may go. */
  private evictOne(nowMs: number): boolean {
    let oldest: Session | null = null;
    for (const session of this.sessions.values()) {
      if (!oldest || session.lastUsedMs < oldest.lastUsedMs) oldest = session;
    }
    if (!oldest || nowMs - oldest.lastUsedMs < this.limits.sessionEvictionMs) return false;
    this.sessions.delete(oldest.id);
    return true;
  }
}
