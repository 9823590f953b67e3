// Record batches (magic 2) and legacy message sets (magic 0/1): headers read and stamped in place, records
// iterated lazily, batches built, control records, and conversion between the two formats.

export * from "./batch-builder.ts";
export * from "./batch-header.ts";
export * from "./batch-recompress.ts";
export * from "./batch-records.ts";
export * from "./control-record.ts";
export * from "./legacy.ts";
export * from "./legacy-convert.ts";
export * from "./record.ts";
