// Compression of record payloads, chosen by the batch's CompressionCodec. Each codec lives in its own file;
// every decompressor refuses to produce more than `decompressedBytesMax` bytes and reports bad payloads as
// ProtocolError. What each can enforce is described in that codec's file.

import { unreachable } from "../../base/assert.ts";
import { ProtocolError } from "../protocol-error.ts";
import { CompressionCodec } from "../records/batch-header.ts";
import type { DecompressOptions } from "./decompress-limit.ts";
import { gzipCompress, gzipDecompress } from "./gzip.ts";
import { lz4Compress, lz4Decompress } from "./lz4.ts";
import { snappyCompress, snappyDecompress } from "./snappy.ts";
import { zstdCompress, zstdDecompress } from "./zstd.ts";

export type { DecompressOptions } from "./decompress-limit.ts";

export interface CompressOptions {
  /**
   * The codec's level, as Kafka's compression.<codec>.level configs give it (KIP-390); absent means the codec's
   * default. gzip and zstd honour it; lz4-napi has one level only, and snappy none.
   */
  level?: number;
}

export function compress(
  codec: CompressionCodec,
  bytes: Uint8Array,
  options: CompressOptions = {},
): Uint8Array {
  switch (codec) {
    case CompressionCodec.None:
      return bytes;
    case CompressionCodec.Gzip:
      return gzipCompress(bytes, options.level);
    case CompressionCodec.Snappy:
      return snappyCompress(bytes);
    case CompressionCodec.Lz4:
      return lz4Compress(bytes);
    case CompressionCodec.Zstd:
      return zstdCompress(bytes, options.level);
    default:
      return unreachable(codec, "compression codec");
  }
}

/** The codec comes from outside (batch attributes), so an unknown one is a ProtocolError, not a bug. */
export function decompress(
  codec: CompressionCodec,
  bytes: Uint8Array,
  options: DecompressOptions,
): Uint8Array {
  switch (codec) {
    case CompressionCodec.None:
      return bytes;
    case CompressionCodec.Gzip:
      return gzipDecompress(bytes, options);
    case CompressionCodec.Snappy:
      return snappyDecompress(bytes, options);
    case CompressionCodec.Lz4:
      return lz4Decompress(bytes, options);
    case CompressionCodec.Zstd:
      return zstdDecompress(bytes, options);
    default:
      throw new ProtocolError(`unknown compression codec ${codec as number}`, ["attributes"]);
  }
}
