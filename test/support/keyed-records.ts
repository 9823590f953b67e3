// Keyed records through real clients, for compaction tests: kcat writes "key:value" lines (an empty value is a
// tombstone) and reads a partition back from offset 0 with offsets, keys and values; latestOf is what a fully
// compacted log holds.

import { runClient } from "./in-process-broker.ts";

export interface Row {
  offset: number;
  key: string;
  value: string | null;
}

/** kcat writes "key:value" lines with acks=all; an empty value (with -Z) is a tombstone. */
export async function produceKeyed(
  bootstrap: string,
  topic: string,
  lines: readonly string[],
): Promise<void> {
  await runClient(
    ["kcat", "-b", bootstrap, "-P", "-t", topic, "-K:", "-Z", "-X", "acks=all"],
    `${lines.join("\n")}\n`,
  );
}

/** kcat reads the topic from offset 0 to its end: offset, key and value (null for a tombstone). */
export async function kcatRows(bootstrap: string, topic: string): Promise<Row[]> {
  const out = await runClient([
    ...["timeout", "20", "kcat", "-C", "-q", "-e", "-Z", "-o", "beginning"],
    ...["-f", "%o|%k|%s\\n", "-b", bootstrap, "-t", topic],
  ]);
  return out
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => {
      const [offset, key, value] = line.split("|");
      return { offset: Number(offset), key: key!, value: value === "NULL" ? null : value! };
    });
}

/** The latest record of every key, in offset order. */
export function latestOf(rows: readonly Row[]): Row[] {
  const byKey = new Map<string, Row>();
  for (const row of rows) byKey.set(row.key, row);
  return [...byKey.values()].sort((a, b) => a.offset - b.offset);
}
