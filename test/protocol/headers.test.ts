// Proves the header-version rules agree with the message specs for every API and version, and that
// headers of each version round-trip through the frame helpers.

import { expect, test } from "bun:test";
import { contains, versionsOf } from "../../scripts/kafka-codec/versions.ts";
import { decodeRequestPayload, encodeRequestFrame } from "../../src/protocol/frame.ts";
import { requestHeader, requestHeaderVersion, responseHeaderVersion } from "../../src/protocol/headers.ts";
import { ApiKey } from "../../src/protocol/messages/registry.ts";
import { codecCases } from "./codec-cases.ts";

const cases = codecCases();

test("request headers: v2 when the request is flexible, v1 otherwise, v0 for ControlledShutdown v0", () => {
  for (const { spec } of cases.filter((entry) => entry.spec.kind === "request")) {
    for (const version of versionsOf(spec.validVersions, spec.validVersions)) {
      const controlledShutdownV0 = spec.apiKey === ApiKey.ControlledShutdown && version === 0;
      const expected = controlledShutdownV0 ? 0 : contains(spec.flexibleVersions, version) ? 2 : 1;
      expect(requestHeaderVersion(spec.apiKey!, version)).toBe(expected);
    }
  }
});

test("response headers: v1 when the response is flexible, v0 otherwise and always for ApiVersions", () => {
  for (const { spec } of cases.filter((entry) => entry.spec.kind === "response")) {
    for (const version of versionsOf(spec.validVersions, spec.validVersions)) {
      const flexible = contains(spec.flexibleVersions, version) && spec.apiKey !== ApiKey.ApiVersions;
      expect(responseHeaderVersion(spec.apiKey!, version)).toBe(flexible ? 1 : 0);
    }
  }
});

test("each API's default request round-trips through a frame with its header", () => {
  for (const { spec, codec } of cases.filter((entry) => entry.spec.kind === "request")) {
    const version = spec.validVersions.max;
    const header = requestHeader({
      apiKey: spec.apiKey!,
      apiVersion: version,
      correlationId: 77,
      clientId: "ç",
    });
    const decoded = decodeRequestPayload(encodeRequestFrame(header, codec.create()).subarray(4));
    expect(decoded.kind).toBe("request");
    expect(decoded.header.correlationId).toBe(77);
    expect(decoded.header.clientId).toBe(
      spec.apiKey === ApiKey.ControlledShutdown && version === 0 ? "" : "ç",
    );
  }
});
