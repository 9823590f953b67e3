// Invariant checks. A failed assertion is a bug in Chronik, never bad input: crash rather than limp on.
// Bad input from outside is answered with an error value (a Kafka error code, a 4xx), never with assert.

export class AssertionError extends Error {
  override name = "AssertionError";
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionError(message);
}

/**
 * Whether `error` means the code is wrong rather than the world: a failed assertion, or what the engine throws
 * for a call on undefined or a name that does not exist. Such an error must stop the process (TigerBeetle's
 * rule: a state machine that broke an invariant must not keep serving). Everything else — a ProtocolError from
 * bytes that do not decode, a RangeError from a read past the end of bad input, a StorageError, an Error a
 * module throws for a refusal — says something about the input or the environment, and is answered without
 * stopping.
 */
export function isBug(error: unknown): boolean {
  return error instanceof AssertionError || error instanceof TypeError || error instanceof ReferenceError;
}

export function unreachable(value: never, message = "unreachable"): never {
  throw new AssertionError(`${message}: ${String(value)}`);
}
