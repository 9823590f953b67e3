// Hooks the listener calls as connections and requests come and go; the caller turns them into metrics
// (Prometheus counters and histograms) without the listener knowing about any metrics library.

export interface ConnectionMetrics {
  connectionOpened(): void;
  connectionClosed(): void;
  /** A connection accepted and closed at once because `connectionsMax` connections were open. */
  connectionRefused(): void;
  bytesReceived(bytes: number): void;
  bytesSent(bytes: number): void;
  requestStarted(apiKey: number): void;
  /**
   * A request's answer was released for writing, in order; `latencyMs` runs from its dispatch to that
   * release (waiting behind earlier answers included). `responded` is false for a null answer (no
   * response, e.g. acks=0 produce). Not called for requests whose connection closed first.
   */
  requestCompleted(apiKey: number, latencyMs: number, responded: boolean): void;
}

export const noConnectionMetrics: ConnectionMetrics = {
  connectionOpened: () => {},
  connectionClosed: () => {},
  connectionRefused: () => {},
  bytesReceived: () => {},
  bytesSent: () => {},
  requestStarted: () => {},
  requestCompleted: () => {},
};
