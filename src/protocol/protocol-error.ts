// The one error type for bytes that do not decode: truncated, malformed or hostile input from a peer.
// It names where decoding stopped (API, version, field) so a log line is enough to find the problem.

export class ProtocolError extends Error {
  override name = "ProtocolError";
  /** Where the bad bytes were met, outermost first, e.g. ["Produce v9", "topicData", "name"]. */
  readonly path: string[];
  readonly reason: string;

  constructor(reason: string, path: string[] = []) {
    super(path.length > 0 ? `${path.join(".")}: ${reason}` : reason);
    this.reason = reason;
    this.path = path;
  }

  /** Returns a copy with `segment` put in front of the path (the caller's context). */
  within(segment: string): ProtocolError {
    return new ProtocolError(this.reason, [segment, ...this.path]);
  }
}
