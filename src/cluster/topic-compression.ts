// A topic's compression.type and compression.<codec>.level as the codec its batches are held in, or null for
// "producer" (Kafka's default: keep whatever codec the producer chose, and never touch the bytes).

import { CompressionCodec } from "../protocol/records/batch-header.ts";
import type { Recompression } from "../protocol/records/batch-recompress.ts";
import { type BrokerStaticConfigs, topicConfigValue } from "./config-view.ts";
import { type CompressionTypeName, topicConfigDefinition } from "./topic-config-definitions.ts";

const compressionTypeDefinition = topicConfigDefinition("compression.type")!;

const codecByName: Record<Exclude<CompressionTypeName, "producer">, CompressionCodec> = {
  uncompressed: CompressionCodec.None,
  gzip: CompressionCodec.Gzip,
  snappy: CompressionCodec.Snappy,
  lz4: CompressionCodec.Lz4,
  zstd: CompressionCodec.Zstd,
};

/** The level config of each codec that has one (KIP-390). */
const levelConfigByName: Partial<Record<CompressionTypeName, string>> = {
  gzip: "compression.gzip.level",
  lz4: "compression.lz4.level",
  zstd: "compression.zstd.level",
};

export function topicRecompression(
  overrides: ReadonlyMap<string, string>,
  brokerStatic: BrokerStaticConfigs,
): Recompression | null {
  const name = topicConfigValue(overrides, brokerStatic, compressionTypeDefinition) as CompressionTypeName;
  if (name === "producer") return null;
  const levelConfig = levelConfigByName[name];
  if (levelConfig === undefined) return { codec: codecByName[name] };
  const level = Number(topicConfigValue(overrides, brokerStatic, topicConfigDefinition(levelConfig)!));
  // gzip's -1 is zlib's own default.
  return { codec: codecByName[name], level: level === -1 ? undefined : level };
}
