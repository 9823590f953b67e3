// Every bound of the Kafka TCP listener and its per-connection pipeline, in one place, units in the names.
// Defaults follow Apache Kafka's broker settings where one exists (named in each comment).

export interface ListenerLimits {
  /** A request whose size prefix exceeds this is refused before any of it is buffered
   * (socket.request.max.bytes). */
  requestBytesMax: number;
  /** Requests dispatched but not yet answered, per connection; past it the connection stops reading. */
  inflightRequestsPerConnectionMax: number;
  /** Response bytes completed but not yet accepted by the kernel, per connection; past it reading stops. */
  pendingResponseBytesMax: number;
  /** A connection with no bytes in or out and nothing in flight for this long is closed
   * (connections.max.idle.ms). */
  connectionsMaxIdleMs: number;
  /** Open connections on this listener; one beyond it is closed as soon as it is accepted
   * (max.connections). */
  connectionsMax: number;
}

export const listenerLimitsDefault: Readonly<ListenerLimits> = Object.freeze({
  requestBytesMax: 104_857_600,
  inflightRequestsPerConnectionMax: 100,
  pendingResponseBytesMax: 16 * 1024 * 1024,
  connectionsMaxIdleMs: 600_000,
  connectionsMax: 10_000,
});

/** Limits with `overrides` applied, each checked: a limit that cannot work is a configuration bug. */
export function listenerLimits(overrides: Partial<ListenerLimits> = {}): ListenerLimits {
  const limits = { ...listenerLimitsDefault, ...overrides };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new RangeError(`listener limit ${name} must be a positive integer, got ${value}`);
    }
  }
  // A size prefix is an int32, so a larger bound would never be reached; keep the arithmetic in range.
  if (limits.requestBytesMax > 0x7fff_ffff) {
    throw new RangeError(`listener limit requestBytesMax must be at most ${0x7fff_ffff}`);
  }
  return limits;
}
