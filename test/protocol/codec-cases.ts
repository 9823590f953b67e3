// Shared by the codec tests and scripts/fuzz-codec.ts: every message spec paired with its generated codec.

import { specDirectory } from "../../scripts/kafka-codec/spec-directory.ts";
import { type MessageSpec, readMessageSpecs } from "../../scripts/kafka-codec/spec-reader.ts";
import type { MessageCodec } from "../../src/protocol/codec-runtime.ts";
import { apiDefinitions, otherCodecs } from "../../src/protocol/messages/registry.ts";
import { ByteWriter } from "../../src/protocol/primitives/byte-writer.ts";

export interface CodecCase {
  readonly spec: MessageSpec;
  readonly codec: MessageCodec;
}

export function codecCases(): CodecCase[] {
  const codecs = new Map<string, MessageCodec>();
  for (const api of apiDefinitions) {
    codecs.set(api.request.name, api.request);
    codecs.set(api.response.name, api.response);
  }
  for (const codec of otherCodecs) codecs.set(codec.name, codec);
  return readMessageSpecs(specDirectory).map((spec) => {
    const codec = codecs.get(spec.name);
    if (codec === undefined) throw new Error(`no generated codec for ${spec.name}`);
    return { spec, codec };
  });
}

export function encodeWith(codec: MessageCodec, value: unknown, version: number): Uint8Array {
  const writer = new ByteWriter();
  codec.encode(writer, value, version);
  return writer.finish();
}
