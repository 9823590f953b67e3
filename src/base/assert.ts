// Invariant checks. A failed assertion is a bug in Chronik, never bad input: crash rather than limp on.
// Bad input from outside is answered with an error value (a Kafka error code, a 4xx), never with assert.

export class AssertionError extends Error {
  override name = "AssertionError";
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionError(message);
}

export function unreachable(value: never, message = "unreachable"): never {
  throw new AssertionError(`${message}: ${String(value)}`);
}
