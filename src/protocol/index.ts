// The Kafka wire protocol, pure: no I/O, no clock. What this folder offers:
//   frame.ts            whole frames: size prefix + header + body, decoded and encoded
//   headers.ts          request/response headers and which header version goes with which API version
//   messages/           generated codecs for every API, header and data message (registry.ts lists them)
//   error-codes.ts      Kafka's error table: code, name, retriable, message
//   records/            record batches (magic 2) read and stamped in place, records iterated lazily, batches
//                       built, control records, legacy message sets (magic 0/1) and conversion
//   compression/        gzip, snappy, lz4, zstd under a decompressed-size limit
//   crc32c.ts           CRC-32C (native, with a software fallback)
//   primitives/         ByteReader and ByteWriter: Kafka's primitive types, every length checked
//   protocol-error.ts   the one error for bytes that do not decode, naming API, version and field

export * from "./crc32c.ts";
export * from "./error-codes.ts";
export * from "./frame.ts";
export * from "./headers.ts";
export { ApiKey, type ApiMessages, apiCodecs, apiDefinition, apiDefinitions } from "./messages/registry.ts";
export * from "./protocol-error.ts";
