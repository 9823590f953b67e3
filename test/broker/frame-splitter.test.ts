// Proves the frame splitter cuts a byte stream into Kafka frames however it is chunked, copies only frames
// that span chunks, and refuses bad size prefixes from the prefix alone.

import { describe, expect, test } from "bun:test";
import { FrameRejection, FrameSplitter } from "../../src/broker/frame-splitter.ts";
import { concatBytes, sizePrefix } from "./socket-test-client.ts";

function framed(body: Uint8Array): Uint8Array {
  return concatBytes([sizePrefix(body.length), body]);
}

function bodyOf(length: number, seed: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 31 + seed) & 0xff);
}

function drain(splitter: FrameSplitter): Uint8Array[] {
  const frames: Uint8Array[] = [];
  for (;;) {
    const next = splitter.next();
    if (next === null) return frames;
    if (next instanceof FrameRejection) throw new Error(next.reason);
    frames.push(next);
  }
}

describe("FrameSplitter", () => {
  const bodies = [bodyOf(8, 1), bodyOf(0, 2), bodyOf(13, 3), bodyOf(300, 4), bodyOf(9, 5)];
  const stream = concatBytes(bodies.map(framed));

  test("yields the same frames for a split at every byte boundary, and at every pair of boundaries", () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const splitter = new FrameSplitter({ frameBytesMax: 1024 });
      splitter.push(stream.subarray(0, cut));
      const frames = drain(splitter);
      splitter.push(stream.subarray(cut));
      frames.push(...drain(splitter));
      expect(frames).toEqual(bodies);
      expect(splitter.bufferedBytes).toBe(0);
    }
    for (let first = 0; first <= stream.length; first += 3) {
      for (let second = first; second <= stream.length; second += 7) {
        const splitter = new FrameSplitter({ frameBytesMax: 1024 });
        const frames: Uint8Array[] = [];
        for (const part of [
          stream.subarray(0, first),
          stream.subarray(first, second),
          stream.subarray(second),
        ]) {
          splitter.push(part);
          frames.push(...drain(splitter));
        }
        expect(frames).toEqual(bodies);
      }
    }
  });

  test("yields every frame of a one-byte-at-a-time stream", () => {
    const splitter = new FrameSplitter({ frameBytesMax: 1024 });
    const frames: Uint8Array[] = [];
    for (let i = 0; i < stream.length; i++) {
      splitter.push(stream.subarray(i, i + 1));
      frames.push(...drain(splitter));
    }
    expect(frames).toEqual(bodies);
  });

  test("frames wholly inside one chunk are views of it, not copies", () => {
    const splitter = new FrameSplitter({ frameBytesMax: 1024 });
    splitter.push(stream);
    const frames = drain(splitter);
    expect(frames.length).toBe(bodies.length);
    for (const frame of frames.filter((f) => f.length > 0)) expect(frame.buffer).toBe(stream.buffer);
  });

  test("a frame spanning many chunks is assembled once, in order", () => {
    const body = bodyOf(100_000, 9);
    const bytes = framed(body);
    const splitter = new FrameSplitter({ frameBytesMax: 1 << 20 });
    for (let at = 0; at < bytes.length; at += 37) {
      expect(splitter.next()).toBeNull();
      splitter.push(bytes.subarray(at, at + 37));
    }
    const frame = splitter.next();
    expect(frame).toEqual(body);
    expect(splitter.next()).toBeNull();
  });

  test("a frame assembled from chunks is a plain Uint8Array of its own, whose slice() copies", () => {
    // Its memory comes from Buffer.allocUnsafeSlow; a Buffer would leak through slice(), which for a Buffer is
    // a view: the Raft store copies small payloads with slice() so they do not pin their request's bytes.
    const body = bodyOf(70_000, 11);
    const bytes = framed(body);
    const splitter = new FrameSplitter({ frameBytesMax: 1 << 20 });
    splitter.push(bytes.subarray(0, 40_000));
    splitter.push(bytes.subarray(40_000));
    const frame = splitter.next() as Uint8Array;
    expect(Object.getPrototypeOf(frame)).toBe(Uint8Array.prototype);
    expect(frame.byteOffset).toBe(0);
    expect(frame.buffer.byteLength).toBe(body.length);
    const copy = frame.slice(0, 10);
    copy[0] = frame[0]! ^ 0xff;
    expect(frame[0]).toBe(body[0]!);
    expect(frame).toEqual(body);
  });

  test("takes frames only on demand, keeping the rest buffered", () => {
    const splitter = new FrameSplitter({ frameBytesMax: 1024 });
    splitter.push(stream);
    expect(splitter.next()).toEqual(bodies[0]!);
    expect(splitter.bufferedBytes).toBe(stream.length - 4 - bodies[0]!.length);
  });

  test("accepts a frame of exactly frameBytesMax and refuses one byte more from the prefix alone", () => {
    const ok = new FrameSplitter({ frameBytesMax: 16 });
    ok.push(framed(bodyOf(16, 1)));
    expect(ok.next()).toEqual(bodyOf(16, 1));

    const tooBig = new FrameSplitter({ frameBytesMax: 16 });
    tooBig.push(sizePrefix(17));
    const rejection = tooBig.next();
    expect(rejection).toBeInstanceOf(FrameRejection);
    expect((rejection as FrameRejection).sizeBytes).toBe(17);
    expect(tooBig.bufferedBytes).toBe(0);
  });

  for (const [name, prefix, expectedSize] of [
    ["negative", 0xffff_ffff, -1],
    ["2 GiB (int32 minimum)", 0x8000_0000, -0x8000_0000],
    ["int32 maximum", 0x7fff_ffff, 0x7fff_ffff],
  ] as const) {
    test(`refuses a ${name} size prefix and stays refused`, () => {
      const splitter = new FrameSplitter({ frameBytesMax: 104_857_600 });
      splitter.push(sizePrefix(prefix));
      const rejection = splitter.next();
      expect(rejection).toBeInstanceOf(FrameRejection);
      expect((rejection as FrameRejection).sizeBytes).toBe(expectedSize);
      splitter.push(framed(bodyOf(8, 1)));
      expect(splitter.next()).toBe(rejection);
      expect(splitter.bufferedBytes).toBe(0);
    });
  }
});
