// Proves each codec round-trips, reads the frames Kafka clients send (xerial snappy, LZ4 frames, raw snappy),
// refuses to inflate past decompressedBytesMax, reports corrupt payloads as ProtocolError only, and honours
// the gzip and zstd levels of KIP-390 (zstd's negative "fast" levels included).

import { describe, expect, test } from "bun:test";
import { compressFrameSync, decompressFrameSync } from "lz4-napi";
import { compressSync as snappyRawCompress } from "snappy";
import { compress, decompress } from "../../../src/protocol/compression/index.ts";
import { lz4Compress, lz4Decompress } from "../../../src/protocol/compression/lz4.ts";
import {
  isXerialFramed,
  snappyCompress,
  snappyDecompress,
  xerialBlockBytes,
} from "../../../src/protocol/compression/snappy.ts";
import { xxhash32 } from "../../../src/protocol/compression/xxhash32.ts";
import { CompressionCodec } from "../../../src/protocol/records/batch-header.ts";
import { expectProtocolError } from "../../support/expect-protocol-error.ts";

const codecs = [CompressionCodec.Gzip, CompressionCodec.Snappy, CompressionCodec.Lz4, CompressionCodec.Zstd];
const limit = { decompressedBytesMax: 1 << 20 };

function jsonText(count: number): Uint8Array {
  const lines = Array.from({ length: count }, (_, index) =>
    JSON.stringify({
      id: index,
      user: `user-${index % 97}`,
      action: index % 3 ? "view" : "buy",
      price: index * 7,
    }),
  );
  return new TextEncoder().encode(lines.join("\n"));
}

describe.each(codecs)("codec %i", (codec) => {
  test("round-trips text, empty input and incompressible bytes", () => {
    const random = new Uint8Array(100_000);
    for (let index = 0; index < random.length; index++) random[index] = (index * 2654435761) >>> 24;
    for (const input of [jsonText(3000), new Uint8Array(0), random]) {
      const packed = compress(codec, input);
      expect(decompress(codec, packed, limit)).toEqual(input);
    }
    expect(compress(codec, jsonText(3000)).length).toBeLessThan(jsonText(3000).length / 3);
  });

  test("refuses a bomb beyond decompressedBytesMax", () => {
    const bomb = compress(codec, new Uint8Array(8 << 20));
    expect(bomb.length).toBeLessThan(1 << 20);
    expectProtocolError(
      () => decompress(codec, bomb, { decompressedBytesMax: 1 << 20 }),
      /decompressedBytesMax/,
    );
    expect(decompress(codec, bomb, { decompressedBytesMax: 8 << 20 }).length).toBe(8 << 20);
  });

  test("reports corrupt and truncated payloads as ProtocolError", () => {
    const packed = compress(codec, jsonText(500));
    const flipped = new Uint8Array(packed);
    for (let index = 20; index < flipped.length; index += 7) flipped[index]! ^= 0x5a;
    expectProtocolError(() => decompress(codec, flipped, limit));
    expectProtocolError(() => decompress(codec, packed.subarray(0, packed.length >> 1), limit));
    expectProtocolError(() => decompress(codec, new Uint8Array([1, 2, 3]), limit));
  });
});

test("gzip and zstd levels are honoured: a higher level packs text smaller, and every level reads back", () => {
  const input = jsonText(3000);
  const sizes = (codec: CompressionCodec, levels: number[]) =>
    levels.map((level) => {
      const packed = compress(codec, input, { level });
      expect(decompress(codec, packed, limit)).toEqual(input);
      return packed.length;
    });
  const [gzipFast, gzipDefault, gzipBest] = sizes(CompressionCodec.Gzip, [1, -1, 9]);
  expect(gzipFast!).toBeGreaterThan(gzipBest!);
  expect(gzipDefault!).toBeLessThan(gzipFast!);
  const [zstdFastest, zstdFast, zstdDefault, zstdBest] = sizes(CompressionCodec.Zstd, [-131072, -5, 3, 19]);
  expect(zstdFastest!).toBeGreaterThan(zstdFast!);
  expect(zstdFast!).toBeGreaterThan(zstdDefault!);
  expect(zstdDefault!).toBeGreaterThan(zstdBest!);
});

test("unknown codec in attributes is a ProtocolError", () => {
  expectProtocolError(() => decompress(6 as CompressionCodec, new Uint8Array(4), limit), /codec 6/);
});

describe("snappy", () => {
  test("writes the xerial frame Java writes: magic, versions, length-prefixed 32 KiB blocks", () => {
    const input = jsonText(4000);
    const framed = snappyCompress(input);
    expect([...framed.subarray(0, 16)]).toEqual([
      0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1,
    ]);
    const view = new DataView(framed.buffer, framed.byteOffset);
    let position = 16;
    let blocks = 0;
    while (position < framed.length) {
      position += 4 + view.getInt32(position);
      blocks++;
    }
    expect(position).toBe(framed.length);
    expect(blocks).toBe(Math.ceil(input.length / xerialBlockBytes));
  });

  test("decodes a hand-built xerial frame and a raw block", () => {
    const hello = new TextEncoder().encode("hello hello hello hello");
    // A raw snappy block: varint length 23, literal "hello " (tag 0x14 = 6 bytes), then copies.
    const raw = snappyRawCompress(hello);
    expect(raw[0]).toBe(23);
    const frame = new Uint8Array([
      ...[0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1],
      ...[0, 0, 0, raw.length],
      ...raw,
      ...[0, 0, 0, raw.length],
      ...raw,
    ]);
    expect(isXerialFramed(frame)).toBe(true);
    expect(new TextDecoder().decode(snappyDecompress(frame, limit))).toBe(
      "hello hello hello hellohello hello hello hello",
    );
    expect(snappyDecompress(raw, limit)).toEqual(hello);
  });

  test("checks each block's declared length before inflating it", () => {
    const frame = snappyCompress(new Uint8Array(100_000));
    expectProtocolError(
      () => snappyDecompress(frame, { decompressedBytesMax: 50_000 }),
      /decompressedBytesMax/,
    );
    // A raw block claiming 4 GiB is refused from its preamble alone.
    expectProtocolError(() => snappyDecompress(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f, 0]), limit));
  });
});

describe("lz4", () => {
  test("xxhash32 agrees with Bun's on short and long inputs", () => {
    for (const length of [0, 1, 2, 5, 15, 16, 17, 100, 1000]) {
      const bytes = jsonText(50).subarray(0, length);
      expect(xxhash32(bytes)).toBe(Number(Bun.hash.xxHash32(bytes, 0)));
    }
  });

  test("writes a standard frame: magic, independent blocks, a valid header checksum", () => {
    const frame = lz4Compress(jsonText(100));
    expect([...frame.subarray(0, 4)]).toEqual([0x04, 0x22, 0x4d, 0x18]);
    expect(frame[4]! & 0xc0).toBe(0x40);
    expect(frame[4]! & 0x20).toBe(0x20);
    expect(frame[6]).toBe((xxhash32(frame.subarray(4, 6)) >>> 8) & 0xff);
    expect([...frame.subarray(-4)]).toEqual([0, 0, 0, 0]);
  });

  test("our frames are Java's (64 KiB blocks) and other writers' frames (4 MiB blocks) read both ways", () => {
    const input = jsonText(5000);
    const ours = lz4Compress(input);
    expect([ours[4], ours[5]]).toEqual([0x60, 0x40]);
    expect([...decompressFrameSync(Buffer.from(ours))]).toEqual([...input]);
    const theirs = compressFrameSync(Buffer.from(input.buffer, input.byteOffset, input.length));
    expect(theirs[5]).toBe(0x70);
    expect(lz4Decompress(theirs, limit)).toEqual(input);
    const noise = new Uint8Array(70_000);
    let state = 0x9e3779b9;
    for (let index = 0; index < noise.length; index++) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      noise[index] = state & 0xff;
    }
    const stored = lz4Compress(noise);
    expect(stored[10]! & 0x80).toBe(0x80); // first block stored raw: high bit of its size word
    expect(lz4Decompress(stored, limit)).toEqual(noise);
  });

  test("KAFKA-3160: a magic-0 frame's broken checksum is refused unless told to ignore it", () => {
    const input = jsonText(100);
    const broken = lz4Compress(input, { brokenHeaderChecksum: true });
    expect(broken[6]).toBe((xxhash32(broken.subarray(0, 6)) >>> 8) & 0xff);
    expect(broken[6]).not.toBe(lz4Compress(input)[6]);
    expectProtocolError(() => lz4Decompress(broken, limit), /header checksum/);
    expect(lz4Decompress(broken, { ...limit, ignoreHeaderChecksum: true })).toEqual(input);
  });

  test("reads uncompressed blocks and frames with block checksums and content size", () => {
    const payload = new TextEncoder().encode("plain block");
    const descriptor = new Uint8Array([0x7c, 0x40, 11, 0, 0, 0, 0, 0, 0, 0]); // checksums + size, 64 KiB
    const headerChecksum = (xxhash32(descriptor) >>> 8) & 0xff;
    const frame = new Uint8Array([
      ...[0x04, 0x22, 0x4d, 0x18],
      ...descriptor,
      headerChecksum,
      ...[11, 0, 0, 0x80],
      ...payload,
      ...[0, 0, 0, 0], // block checksum (not verified)
      ...[0, 0, 0, 0], // end mark
      ...[0, 0, 0, 0], // content checksum (not verified)
    ]);
    expect(lz4Decompress(frame, limit)).toEqual(payload);
    expectProtocolError(() => lz4Decompress(frame.subarray(0, frame.length - 2), limit));
  });
});

describe("zstd", () => {
  test("a stream cut anywhere is refused (node:zlib alone would return what it had)", () => {
    const packed = compress(CompressionCodec.Zstd, jsonText(2000));
    for (let cut = 1; cut < packed.length; cut += Math.max(1, packed.length >> 6)) {
      expectProtocolError(() => decompress(CompressionCodec.Zstd, packed.subarray(0, cut), limit));
    }
  });

  test("concatenated frames and a skippable frame decode as one payload", () => {
    const first = compress(CompressionCodec.Zstd, jsonText(10));
    const second = compress(CompressionCodec.Zstd, jsonText(20));
    const skippable = new Uint8Array([0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 9, 9, 9]);
    const joined = new Uint8Array([...first, ...skippable, ...second]);
    expect(decompress(CompressionCodec.Zstd, joined, limit)).toEqual(
      new Uint8Array([...jsonText(10), ...jsonText(20)]),
    );
  });
});

test("zstd: a frame that holds more than it declares is refused without inflating it", () => {
  const big = compress(CompressionCodec.Zstd, new Uint8Array(32 << 20));
  const lying = new Uint8Array(big); // a copy: Buffer.prototype.slice would share memory
  const descriptor = lying[4]!;
  expect(descriptor >> 6).toBe(2); // a 4-byte content size follows the window descriptor
  new DataView(lying.buffer).setUint32(descriptor & 0x20 ? 5 : 6, 1000, true);
  const started = performance.now();
  expectProtocolError(() => decompress(CompressionCodec.Zstd, lying, { decompressedBytesMax: 64 << 20 }));
  expect(performance.now() - started).toBeLessThan(50);
  // Declaring more than the limit is refused from the header alone.
  expectProtocolError(
    () => decompress(CompressionCodec.Zstd, big, { decompressedBytesMax: 1 << 20 }),
    /decompressedBytesMax/,
  );
});

test("zstd: frames without a declared size (streaming writers, as Java's) decode and stay bounded", async () => {
  const { createZstdCompress } = await import("node:zlib");
  const streamed = async (input: Uint8Array): Promise<Uint8Array> => {
    const compressor = createZstdCompress();
    const chunks: Buffer[] = [];
    compressor.on("data", (chunk: Buffer) => chunks.push(chunk));
    const ended = new Promise((resolve) => compressor.on("end", resolve));
    compressor.write(input.subarray(0, input.length >> 1));
    compressor.end(input.subarray(input.length >> 1));
    await ended;
    return new Uint8Array(Buffer.concat(chunks));
  };
  const text = jsonText(1000);
  const frame = await streamed(text);
  expect(frame[4]! >> 6).toBe(0); // no content size field
  expect(frame[4]! & 0x20).toBe(0);
  expect(decompress(CompressionCodec.Zstd, frame, limit)).toEqual(text);
  const bomb = await streamed(new Uint8Array(8 << 20));
  expectProtocolError(() => decompress(CompressionCodec.Zstd, bomb, limit), /decompressedBytesMax/);
});
