// Fuzzes the generated Kafka codec: mutated encodings of sample messages, mutated request frames and random
// bytes must each decode to a value or fail with a ProtocolError, never with anything else.
// Run: node_modules/.bin/bun scripts/fuzz-codec.ts --seconds 30 [--seed 1234]
// A failure prints the case's seed; rerun it alone with --seed S --cases 1.

import { decodeRequestPayload, encodeRequestFrame } from "../src/protocol/frame.ts";
import { requestHeader } from "../src/protocol/headers.ts";
import { ByteReader } from "../src/protocol/primitives/byte-reader.ts";
import { ProtocolError } from "../src/protocol/protocol-error.ts";
import { type CodecCase, codecCases, encodeWith } from "../test/protocol/codec-cases.ts";
import { sampleMessage, seededRandom } from "../test/protocol/sample-values.ts";
import { versionsOf } from "./kafka-codec/versions.ts";

type Random = () => number;

function integer(random: Random, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

const interestingBytes = [0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff];

/** One random edit: overwrite, truncate, insert, delete or duplicate a few bytes. */
function mutateOnce(bytes: Uint8Array, random: Random): Uint8Array {
  const at = integer(random, 0, Math.max(0, bytes.length - 1));
  const copy = Uint8Array.from(bytes);
  switch (integer(random, 0, 4)) {
    case 0:
      if (copy.length > 0) copy[at] = interestingBytes[integer(random, 0, interestingBytes.length - 1)]!;
      return copy;
    case 1:
      if (copy.length > 0) copy[at] = integer(random, 0, 255);
      return copy;
    case 2:
      return bytes.subarray(0, integer(random, 0, bytes.length));
    case 3: {
      const inserted = Uint8Array.from({ length: integer(random, 1, 8) }, () => integer(random, 0, 255));
      return Uint8Array.from([...bytes.subarray(0, at), ...inserted, ...bytes.subarray(at)]);
    }
    default: {
      const end = Math.min(bytes.length, at + integer(random, 1, 8));
      return Uint8Array.from([...bytes.subarray(0, at), ...bytes.subarray(end)]);
    }
  }
}

function mutate(bytes: Uint8Array, random: Random): Uint8Array {
  let mutated = bytes;
  const edits = integer(random, 1, 4);
  for (let edit = 0; edit < edits; edit++) mutated = mutateOnce(mutated, random);
  return mutated;
}

export interface FuzzFailure {
  readonly seed: number;
  readonly description: string;
  readonly error: unknown;
}

function isExpected(error: unknown): boolean {
  return error instanceof ProtocolError;
}

/** Decodes `bytes` as `entry` at `version`; a decoded value must re-encode and decode again. */
function decodeBody(entry: CodecCase, version: number, bytes: Uint8Array): void {
  let value: unknown;
  try {
    value = entry.codec.decode(new ByteReader(bytes), version);
  } catch (error) {
    if (isExpected(error)) return;
    throw error;
  }
  entry.codec.decode(new ByteReader(encodeWith(entry.codec, value, version)), version);
}

function bodyCase(cases: CodecCase[], random: Random): { description: string; run: () => void } {
  const entry = cases[integer(random, 0, cases.length - 1)]!;
  const versions = versionsOf(entry.spec.validVersions, entry.spec.validVersions);
  const version = versions[integer(random, 0, versions.length - 1)]!;
  const variant = random() < 0.5 ? "values" : "nulls";
  const randomBytes = random() < 0.15;
  const bytes = randomBytes
    ? Uint8Array.from({ length: integer(random, 0, 64) }, () => integer(random, 0, 255))
    : mutate(encodeWith(entry.codec, sampleMessage(entry.spec, version, variant, random), version), random);
  const description = `${entry.spec.name} v${version} ${randomBytes ? "random" : "mutated"} ${bytes.toHex()}`;
  return { description, run: () => decodeBody(entry, version, bytes) };
}

function frameCase(cases: CodecCase[], random: Random): { description: string; run: () => void } {
  const requests = cases.filter((entry) => entry.spec.kind === "request");
  const entry = requests[integer(random, 0, requests.length - 1)]!;
  const versions = versionsOf(entry.spec.validVersions, entry.spec.validVersions);
  const version = versions[integer(random, 0, versions.length - 1)]!;
  const header = requestHeader({
    apiKey: entry.spec.apiKey!,
    apiVersion: version,
    correlationId: 1,
    clientId: "f",
  });
  const frame = encodeRequestFrame(header, sampleMessage(entry.spec, version, "values", random));
  const payload = mutate(frame.subarray(4), random);
  const run = () => {
    try {
      decodeRequestPayload(payload, { allowTrailingBytes: random() < 0.5 });
    } catch (error) {
      if (!isExpected(error)) throw error;
    }
  };
  return { description: `${entry.spec.name} v${version} frame ${payload.toHex()}`, run };
}

/** Runs the case for `seed`; returns the failure, or null when the outcome was a value or a ProtocolError. */
export function runFuzzCase(cases: CodecCase[], seed: number): FuzzFailure | null {
  const random = seededRandom(seed);
  const fuzzCase = random() < 0.7 ? bodyCase(cases, random) : frameCase(cases, random);
  try {
    fuzzCase.run();
    return null;
  } catch (error) {
    return { seed, description: fuzzCase.description, error };
  }
}

function argument(name: string, fallback: number): number {
  const index = process.argv.indexOf(name);
  return index < 0 ? fallback : Number(process.argv[index + 1]);
}

if (import.meta.main) {
  const seconds = argument("--seconds", 10);
  const firstSeed = argument("--seed", Date.now() % 1_000_000_007);
  const casesMax = argument("--cases", Number.POSITIVE_INFINITY);
  const cases = codecCases();
  const deadline = performance.now() + seconds * 1000;
  let ran = 0;
  for (let seed = firstSeed; ran < casesMax && performance.now() < deadline; seed++, ran++) {
    const failure = runFuzzCase(cases, seed);
    if (failure !== null) {
      console.error(`FAILED seed ${failure.seed}: ${failure.description}`);
      console.error(failure.error);
      process.exit(1);
    }
  }
  console.log(`fuzz-codec: ${ran} cases from seed ${firstSeed}, all decoded or failed with ProtocolError`);
}
