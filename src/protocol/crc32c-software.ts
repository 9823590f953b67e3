// Pure-JS CRC-32C with slicing-by-8 tables: eight table look-ups per 8 input bytes. The fallback when the
// native addon is unavailable, and the reference the native one is tested against.

const castagnoliReflected = 0x82f63b78;

function buildTables(): Uint32Array[] {
  const tables = Array.from({ length: 8 }, () => new Uint32Array(256));
  const first = tables[0]!;
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ castagnoliReflected : crc >>> 1;
    first[byte] = crc >>> 0;
  }
  for (let byte = 0; byte < 256; byte++) {
    let crc = first[byte]!;
    for (let slice = 1; slice < 8; slice++) {
      crc = first[crc & 0xff]! ^ (crc >>> 8);
      tables[slice]![byte] = crc >>> 0;
    }
  }
  return tables;
}

const [t0, t1, t2, t3, t4, t5, t6, t7] = buildTables() as [
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
];

export function crc32cSoftware(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  let index = 0;
  const wholeEnd = bytes.length - (bytes.length % 8);
  while (index < wholeEnd) {
    const low =
      crc ^
      (bytes[index]! | (bytes[index + 1]! << 8) | (bytes[index + 2]! << 16) | (bytes[index + 3]! << 24));
    crc =
      t7[low & 0xff]! ^
      t6[(low >>> 8) & 0xff]! ^
      t5[(low >>> 16) & 0xff]! ^
      t4[low >>> 24]! ^
      t3[bytes[index + 4]!]! ^
      t2[bytes[index + 5]!]! ^
      t1[bytes[index + 6]!]! ^
      t0[bytes[index + 7]!]!;
    index += 8;
  }
  while (index < bytes.length) crc = t0[(crc ^ bytes[index++]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
