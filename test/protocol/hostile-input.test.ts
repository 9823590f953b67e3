// Proves truncated, malformed and hostile frames fail with a ProtocolError naming API, version and field
// path, promptly and without big allocations, and that trailing bytes and unknown APIs are reported.

import { describe, expect, test } from "bun:test";
import { noTaggedFields } from "../../src/protocol/codec-runtime.ts";
import {
  decodeRequestFrame,
  decodeRequestPayload,
  decodeResponsePayload,
  encodeRequestFrame,
  encodeResponseFrame,
} from "../../src/protocol/frame.ts";
import { requestHeader } from "../../src/protocol/headers.ts";
import type { FetchResponse } from "../../src/protocol/messages/fetch.ts";
import type { ProduceRequest } from "../../src/protocol/messages/produce.ts";
import { ApiKey } from "../../src/protocol/messages/registry.ts";
import { ProtocolError } from "../../src/protocol/protocol-error.ts";
import { codecCases } from "./codec-cases.ts";
import { sampleMessage, seededRandom } from "./sample-values.ts";

function hex(text: string): Uint8Array {
  return Uint8Array.fromHex(text.replace(/\s+/g, ""));
}

function produceRequest(name: string): ProduceRequest {
  return {
    transactionalId: null,
    acks: -1,
    timeoutMs: 1000,
    topicData: [
      {
        name,
        partitionData: [
          { index: 0, records: new Uint8Array([1, 2, 3]), unknownTaggedFields: noTaggedFields },
        ],
        unknownTaggedFields: noTaggedFields,
      },
    ],
    unknownTaggedFields: noTaggedFields,
  };
}

function produceFrame(version: number, name = "orders"): Uint8Array {
  const header = requestHeader({
    apiKey: ApiKey.Produce,
    apiVersion: version,
    correlationId: 1,
    clientId: "c",
  });
  return encodeRequestFrame(header, produceRequest(name));
}

/** Runs `decode` and returns the ProtocolError it throws; fails the test if it succeeds or throws else. */
function protocolErrorOf(decode: () => unknown): ProtocolError {
  try {
    decode();
  } catch (error) {
    if (error instanceof ProtocolError) return error;
    throw error;
  }
  throw new Error("decoding succeeded");
}

const specs = new Map(codecCases().map((entry) => [entry.spec.name, entry.spec]));

function sampleFrame(apiKey: number, name: string, version: number): Uint8Array {
  const spec = specs.get(name)!;
  const body = sampleMessage(spec, version, "values", seededRandom(version));
  const header = requestHeader({ apiKey, apiVersion: version, correlationId: 5, clientId: "client-é" });
  return encodeRequestFrame(header, body);
}

describe("truncation", () => {
  const frames: [string, Uint8Array][] = [
    ["Produce v3", produceFrame(3)],
    ["Produce v9", produceFrame(9)],
    ["Metadata v12", sampleFrame(ApiKey.Metadata, "MetadataRequest", 12)],
    ["Fetch v17", sampleFrame(ApiKey.Fetch, "FetchRequest", 17)],
    ["ApiVersions v3", sampleFrame(ApiKey.ApiVersions, "ApiVersionsRequest", 3)],
  ];
  for (const [label, frame] of frames) {
    test(`${label} request cut at every byte gives a ProtocolError`, () => {
      const payload = frame.subarray(4);
      expect(decodeRequestPayload(payload).kind).toBe("request");
      for (let length = 0; length < payload.length; length++) {
        protocolErrorOf(() => decodeRequestPayload(payload.subarray(0, length)));
      }
    });
  }

  test("Fetch v16 response cut at every byte gives a ProtocolError", () => {
    const body = sampleMessage(
      specs.get("FetchResponse")!,
      16,
      "values",
      seededRandom(3),
    ) as unknown as FetchResponse;
    const request = { apiKey: ApiKey.Fetch, apiVersion: 16, correlationId: 2 };
    const payload = encodeResponseFrame(request, body).subarray(4);
    expect(decodeResponsePayload(payload, ApiKey.Fetch, 16).body).toEqual(body);
    for (let length = 0; length < payload.length; length++) {
      protocolErrorOf(() => decodeResponsePayload(payload.subarray(0, length), ApiKey.Fetch, 16));
    }
  });

  test("the error names API, version and field path", () => {
    const frame = produceFrame(9, "orders");
    const nameAt = frame.indexOf(0x6f); // the "o" of "orders"
    const error = protocolErrorOf(() => decodeRequestPayload(frame.subarray(4, nameAt + 2)));
    expect(error.message).toBe("Produce v9 request.topicData[0].name: needs 6 bytes, 2 remain");
  });
});

describe("hostile lengths and counts", () => {
  // Produce v3 request header (clientId "c") and body up to the topic array: transactionalId null, acks, timeout.
  const prefixV3 = "0000 0003 00000001 0001 63 ffff ffff 000003e8";

  test("a count of 2^31-1 with 10 bytes left is refused at once", () => {
    const started = performance.now();
    const error = protocolErrorOf(() =>
      decodeRequestPayload(hex(`${prefixV3} 7fffffff 00112233445566778899`)),
    );
    expect(error.message).toContain("topicData: count 2147483647 cannot fit in the 10 bytes left");
    expect(performance.now() - started).toBeLessThan(50);
  });

  test("negative counts and lengths are refused", () => {
    expect(protocolErrorOf(() => decodeRequestPayload(hex(`${prefixV3} fffffffe`))).message).toContain(
      "negative count",
    );
    const negativeName = `${prefixV3} 00000001 fffe 0000000000000000`;
    expect(protocolErrorOf(() => decodeRequestPayload(hex(negativeName))).message).toContain(
      "negative string length",
    );
    const negativeRecords = `${prefixV3} 00000001 0001 74 00000001 00000000 fffffffb`;
    expect(protocolErrorOf(() => decodeRequestPayload(hex(negativeRecords))).message).toContain(
      "negative length -5",
    );
  });

  test("a huge compact count is refused", () => {
    // Produce v9: header v2 (clientId "c", no tags), transactionalId null (00), acks, timeout, count 2^32-2.
    const payload = hex("0000 0009 00000001 0001 63 00 00 ffff 000003e8 ffffffff0f");
    expect(protocolErrorOf(() => decodeRequestPayload(payload)).message).toContain("cannot fit");
  });

  test("a varint that never ends is refused", () => {
    const payload = hex("0000 0009 00000001 0001 63 00 00 ffff 000003e8 ffffffffffffffffffff");
    expect(protocolErrorOf(() => decodeRequestPayload(payload)).message).toContain(
      "varint longer than 5 bytes",
    );
  });

  test("null where the field is not nullable is refused", () => {
    const nullName = `${prefixV3} 00000001 ffff 0000000000000000`;
    expect(protocolErrorOf(() => decodeRequestPayload(hex(nullName))).message).toBe(
      "Produce v3 request.topicData[0].name: null string where null is not allowed",
    );
    const nullArray = `${prefixV3} ffffffff`;
    expect(protocolErrorOf(() => decodeRequestPayload(hex(nullArray))).message).toContain("null array");
    const compactNullName = "0000 0009 00000001 0001 63 00 00 ffff 000003e8 02 00 0000000000";
    expect(protocolErrorOf(() => decodeRequestPayload(hex(compactNullName))).message).toContain(
      "null string",
    );
  });

  test("invalid UTF-8 is refused", () => {
    const badName = `${prefixV3} 00000001 0002 fffe 0000000000000000`;
    expect(protocolErrorOf(() => decodeRequestPayload(hex(badName))).message).toBe(
      "Produce v3 request.topicData[0].name: string is not valid UTF-8",
    );
  });

  test("a tagged field longer than the bytes left is refused", () => {
    // ApiVersions v3 request: header v2, two empty compact strings, then 1 tagged field: tag 9, size 100.
    const tooLong = hex("0012 0003 00000001 0001 63 00 01 01 01 09 64 0000");
    expect(protocolErrorOf(() => decodeRequestPayload(tooLong)).message).toContain(
      "needs 100 bytes, 2 remain",
    );
  });

  test("a known tagged field with bytes left over inside it is refused; an unknown one is kept", () => {
    // Fetch v16 response: header (correlation 1, no tags), throttle, error, session, no topics (01), then
    // 1 tagged field, tag 0 (nodeEndpoints), 3 bytes: an empty compact array (01) and 2 stray bytes.
    const body = "00000000 0000 00000000 01";
    const leftover = hex(`00000001 00 ${body} 01 00 03 01 abcd`);
    expect(protocolErrorOf(() => decodeResponsePayload(leftover, ApiKey.Fetch, 16)).message).toBe(
      "Fetch v16 response.nodeEndpoints: 2 bytes left over inside the tagged field",
    );
    // In v12 tag 0 is not defined at this level, so the same bytes are kept raw.
    const decoded = decodeResponsePayload(hex(`00000001 00 ${body} 01 00 03 01 abcd`), ApiKey.Fetch, 12);
    expect((decoded.body as FetchResponse).unknownTaggedFields).toEqual([
      { tag: 0, data: new Uint8Array([1, 0xab, 0xcd]) },
    ]);
  });
});

describe("frame level", () => {
  test("bytes after the body are an error unless allowed", () => {
    const payload = new Uint8Array([...produceFrame(3).subarray(4), 0xaa]);
    expect(protocolErrorOf(() => decodeRequestPayload(payload)).message).toBe(
      "Produce v3 request: 1 bytes left after the body",
    );
    const allowed = decodeRequestPayload(payload, { allowTrailingBytes: true });
    expect(allowed.kind === "request" && allowed.trailingBytes).toBe(1);
  });

  test("a size prefix that disagrees with the frame is refused", () => {
    const frame = produceFrame(3);
    expect(protocolErrorOf(() => decodeRequestFrame(frame.subarray(0, frame.length - 1))).message).toContain(
      "frame size",
    );
  });

  test("unknown API keys and versions are reported, not decoded", () => {
    expect(decodeRequestPayload(hex("7000 0000 00000001 0001 63")).kind).toBe("unsupported");
    const future = decodeRequestPayload(hex("0000 0063 00000001 0001 63 00"));
    expect(future.kind === "unsupported" && future.reason).toBe("unsupported version");
  });
});
