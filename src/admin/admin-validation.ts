// Every admin request is checked with valibot after Connect has decoded it: a value outside what is allowed is
// refused with INVALID_ARGUMENT and a one-line message naming the field ("partitions: must be at most 100000").
// The schemas check shape and bounds; what depends on the cluster's state (a topic that exists, a partition
// count) is checked where the state is read.

import * as v from "valibot";
import { invalidArgument } from "./admin-errors.ts";

/** Kafka's longest topic name (org.apache.kafka.common.internals.Topic). */
const topicNameBytesMax = 249;
/** Group ids have no limit in Kafka; one this long is a mistake, not a group. */
const groupIdLengthMax = 32_767;
/** Kafka's Integer.MAX_VALUE, the largest int32. */
export const int32Max = 2 ** 31 - 1;

export const topicName = v.pipe(
  v.string(),
  v.minLength(1, "is required"),
  v.maxLength(topicNameBytesMax, `must be at most ${topicNameBytesMax} characters`),
);

export const groupId = v.pipe(
  v.string(),
  v.minLength(1, "is required"),
  v.maxLength(groupIdLengthMax, `must be at most ${groupIdLengthMax} characters`),
);

export const partitionIndex = v.pipe(
  v.number(),
  v.integer(),
  v.minValue(0, "must be 0 or more"),
  v.maxValue(int32Max, `must be at most ${int32Max}`),
);

export const bounded = (min: number, max: number) =>
  v.pipe(
    v.number(),
    v.integer(),
    v.minValue(min, `must be at least ${min}`),
    v.maxValue(max, `must be at most ${max}`),
  );

const safeIntegerMax = BigInt(Number.MAX_SAFE_INTEGER);

/** An int64 field that must fit a JavaScript number (offsets, timestamps) and be at least `min`. */
export const int64From = (min: bigint) =>
  v.pipe(
    v.bigint(),
    v.minValue(min, `must be at least ${min}`),
    v.maxValue(safeIntegerMax, `must be at most ${safeIntegerMax}`),
    v.transform(Number),
  );

/** A list of at most `max` items. */
export const listOf = <T extends v.GenericSchema>(item: T, max: number) =>
  v.pipe(v.array(item), v.maxLength(max, `must have at most ${max} entries`));

/** The request checked against `schema`, or INVALID_ARGUMENT naming the first field that is wrong. */
export function parseRequest<S extends v.GenericSchema>(schema: S, request: unknown): v.InferOutput<S> {
  const result = v.safeParse(schema, request);
  if (result.success) return result.output;
  const issue = result.issues[0];
  const path = v.getDotPath(issue) ?? "request";
  throw invalidArgument(`${path}: ${issue.message}`);
}
