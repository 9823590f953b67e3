// Proves every generated codec round-trips every message at every valid version: decode(encode(x)) equals x
// (fields outside the version at their defaults) and encode(decode(bytes)) gives the same bytes back.

import { describe, expect, test } from "bun:test";
import { versionsOf } from "../../scripts/kafka-codec/versions.ts";
import { ByteReader } from "../../src/protocol/primitives/byte-reader.ts";
import { codecCases, encodeWith } from "./codec-cases.ts";
import { sampleMessage, seededRandom } from "./sample-values.ts";

const cases = codecCases();

describe("round trips of every message at every version", () => {
  test("the specs hold every API's request and response and the headers", () => {
    const names = new Set(cases.map((entry) => entry.spec.name));
    for (const name of [
      "ProduceRequest",
      "FetchResponse",
      "RequestHeader",
      "ResponseHeader",
      "LeaderChangeMessage",
    ]) {
      expect(names.has(name)).toBe(true);
    }
    expect(cases.filter((entry) => entry.spec.kind === "request").length).toBeGreaterThan(80);
  });

  for (const { spec, codec } of cases) {
    test(`${spec.name} v${spec.validVersions.min}-${spec.validVersions.max}`, () => {
      const random = seededRandom(spec.name.length * 7919);
      for (const version of versionsOf(spec.validVersions, spec.validVersions)) {
        for (const variant of ["values", "nulls"] as const) {
          const sample = sampleMessage(spec, version, variant, random);
          const bytes = encodeWith(codec, sample, version);
          const reader = new ByteReader(bytes);
          const decoded = codec.decode(reader, version);
          expect(reader.remaining).toBe(0);
          expect(decoded).toEqual(sample);
          expect(encodeWith(codec, decoded, version)).toEqual(bytes);
        }
      }
    });
  }

  test("create() gives the defaults that decoding an all-default encoding gives", () => {
    for (const { spec, codec } of cases) {
      for (const version of versionsOf(spec.validVersions, spec.validVersions)) {
        const defaults = codec.create();
        expect(codec.decode(new ByteReader(encodeWith(codec, defaults, version)), version)).toEqual(defaults);
      }
    }
  });
});
