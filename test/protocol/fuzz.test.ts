// Proves a few thousand seeded mutations of encoded messages and frames, and random bytes, each decode to a
// value or fail with a ProtocolError, never with another exception (scripts/fuzz-codec.ts runs longer).

import { expect, test } from "bun:test";
import { runFuzzCase } from "../../scripts/fuzz-codec.ts";
import { codecCases } from "./codec-cases.ts";

const seedFirst = 20_261_122;
const caseCount = 10_000;

test(`${caseCount} seeded fuzz cases end in a value or a ProtocolError`, () => {
  const cases = codecCases();
  const failures: string[] = [];
  for (let seed = seedFirst; seed < seedFirst + caseCount; seed++) {
    const failure = runFuzzCase(cases, seed);
    if (failure !== null)
      failures.push(`seed ${failure.seed}: ${failure.description}: ${String(failure.error)}`);
  }
  expect(failures).toEqual([]);
});
