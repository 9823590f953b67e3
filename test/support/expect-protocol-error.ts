// Asserts that decoding (or any `run`) refuses its input with a ProtocolError — the codec's one error for bytes
// that do not decode — and, given a pattern, that the message says why.

import { expect } from "bun:test";
import { ProtocolError } from "../../src/protocol/protocol-error.ts";

export function expectProtocolError(run: () => unknown, pattern?: RegExp): void {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ProtocolError);
  if (pattern) expect((caught as ProtocolError).message).toMatch(pattern);
}
