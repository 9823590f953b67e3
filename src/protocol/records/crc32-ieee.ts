// The IEEE CRC-32 (zlib's, polynomial 0xEDB88320 reflected) that legacy magic-0/1 messages carry.
// A one-table byte-at-a-time loop: legacy traffic is rare, and protocol/ stays free of runtime calls.

const ieeeReflected = 0xedb88320;

const table = (() => {
  const entries = new Uint32Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ ieeeReflected : crc >>> 1;
    entries[byte] = crc >>> 0;
  }
  return entries;
})();

export function crc32Ieee(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (let index = 0; index < bytes.length; index++) {
    crc = table[(crc ^ bytes[index]!) & 0xff]! ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}
