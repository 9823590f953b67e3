// chronik produce (lines from stdin), chronik consume (a stream of records) and chronik records delete.

import { create } from "@bufbuild/protobuf";
import * as v from "valibot";
import {
  ConsumedRecordSchema,
  type ConsumeRequest,
  DeleteRecordsResponseSchema,
  type ProduceRecord,
  ProduceRecordSchema,
  type RecordData,
  RecordDataSchema,
} from "../gen/chronik/admin/v1/admin_pb.ts";
import { type CliContext, type Command, CommandFailure, exitCode } from "./cli-context.ts";
import {
  integerText,
  keyValueText,
  type ParsedCommand,
  timestampAllowed,
  timestampText,
} from "./command-line.ts";
import { messageJson, prettyJson, table } from "./output.ts";

/** Lines per Produce call, and about how many bytes: well inside the admin API's request limit. */
const produceBatchRecordsMax = 1_000;
const produceBatchBytesMax = 1024 * 1024;
const partitionFlag = {
  name: "partition",
  short: "p",
  valueName: "P",
  schema: integerText(0, 2 ** 31 - 1),
  allowed: "a partition number",
};

/** "500", "500ms", "10s", "5m", "1h" in milliseconds. */
const durationText = v.pipe(
  v.string(),
  v.regex(/^\d+(ms|s|m|h)?$/),
  v.transform((text) => {
    const [, amount, unit] = /^(\d+)(ms|s|m|h)?$/.exec(text)!;
    const unitMs = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[(unit ?? "ms") as "ms"];
    return Number(amount) * unitMs;
  }),
  v.number(),
  v.maxValue(3_600_000),
);

function text(value: string): RecordData {
  return create(RecordDataSchema, { data: { case: "text", value } });
}

const decoder = new TextDecoder();

function shown(data: RecordData | undefined): string {
  if (data === undefined) return "null";
  switch (data.data.case) {
    case "text":
      return data.data.value;
    case "binary":
      return decoder.decode(data.data.value);
    case "json":
      return JSON.stringify(data.data.value);
    default:
      return "";
  }
}

/** One line of stdin as a record: the whole line is the value, or "key<SEP>value" with --key-separator. */
function lineRecord(line: string, input: ParsedCommand): ProduceRecord {
  const separator = input.flags.get("key-separator")?.[0] as string | undefined;
  let key = input.flags.get("key")?.[0] as string | undefined;
  let value = line;
  if (separator !== undefined) {
    const at = line.indexOf(separator);
    if (at === -1)
      throw new CommandFailure(`line without the key separator ${JSON.stringify(separator)}: ${line}`);
    key = line.slice(0, at);
    value = line.slice(at + separator.length);
  }
  const headers = ((input.flags.get("header") ?? []) as Array<[string, string]>).map(
    ([name, headerValue]) => ({
      key: name,
      value: text(headerValue),
    }),
  );
  return create(ProduceRecordSchema, {
    key: key === undefined ? undefined : text(key),
    value: text(value),
    headers,
    partition: input.flags.get("partition")?.[0] as number | undefined,
  });
}

async function produceLines(input: ParsedCommand, { client, json, io }: CliContext): Promise<number> {
  const topic = input.positionals.get("TOPIC")![0]!;
  let batch: ProduceRecord[] = [];
  let batchBytes = 0;
  let produced = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    const answer = await client.produce({ topic, records: batch });
    for (const record of answer.records) {
      if (json) io.out(JSON.stringify({ topic, partition: record.partition, offset: String(record.offset) }));
      else io.out(`Produced to partition ${record.partition} at offset ${record.offset}`);
    }
    produced += batch.length;
    if (io.stderrIsTty) io.progress(`produced ${produced} records to ${topic}…`);
    batch = [];
    batchBytes = 0;
  };
  for await (const line of io.stdinLines()) {
    batch.push(lineRecord(line, input));
    batchBytes += line.length;
    if (batch.length >= produceBatchRecordsMax || batchBytes >= produceBatchBytesMax) await flush();
  }
  await flush();
  if (io.stderrIsTty) io.progress("");
  return exitCode.ok;
}

function consumeStart(input: ParsedCommand): ConsumeRequest["start"] {
  const starts: ConsumeRequest["start"][] = [];
  if (input.flags.has("from-beginning")) starts.push({ case: "fromBeginning", value: true });
  if (input.flags.has("from-end")) starts.push({ case: "fromEnd", value: true });
  const offset = input.flags.get("offset")?.[0] as number | undefined;
  if (offset !== undefined) starts.push({ case: "offset", value: BigInt(offset) });
  const time = input.flags.get("time")?.[0] as number | undefined;
  if (time !== undefined) starts.push({ case: "timestampMs", value: BigInt(time) });
  if (starts.length > 1) {
    throw new CommandFailure("give one of --from-beginning, --from-end, --offset, --time", exitCode.usage);
  }
  return starts[0] ?? { case: "fromBeginning", value: true };
}

async function consumeRecords(input: ParsedCommand, { client, json, io }: CliContext): Promise<number> {
  const stream = client.consume({
    topic: input.positionals.get("TOPIC")![0]!,
    partitions: (input.flags.get("partition") ?? []) as number[],
    start: consumeStart(input),
    maxRecords: (input.flags.get("count")?.[0] as number | undefined) ?? 0,
    timeoutMs: (input.flags.get("timeout")?.[0] as number | undefined) ?? 0,
    stopAtEnd: input.flags.has("stop-at-end"),
  });
  const printKey = input.flags.has("print-key");
  let received = 0;
  for await (const message of stream) {
    if (message.item.case === "progress") {
      const positions = message.item.value.partitions
        .map((partition) => `${partition.partition}@${partition.nextOffset}/${partition.highWatermark}`)
        .join(" ");
      if (io.stderrIsTty) io.progress(`${received} records; waiting at partition@offset/end ${positions}`);
      continue;
    }
    if (message.item.case !== "record") continue;
    const record = message.item.value;
    received += 1;
    if (io.stderrIsTty) io.progress("");
    if (json) io.out(JSON.stringify(messageJson(ConsumedRecordSchema, record)));
    else io.out(printKey ? `${shown(record.key)}\t${shown(record.value)}` : shown(record.value));
  }
  if (io.stderrIsTty) io.progress("");
  return exitCode.ok;
}

export const recordCommands: Command[] = [
  {
    path: ["produce"],
    summary: "produce each line of standard input as one record",
    details: [
      "printf 'a\\nb\\n' | chronik produce orders --key customer-7 --header source=cli",
      "printf 'k1:v1\\nk2:v2\\n' | chronik produce orders --key-separator :",
    ],
    positionals: [{ name: "TOPIC", required: true }],
    flags: [
      { name: "key", short: "k", valueName: "KEY", help: "the key of every record (default: none)" },
      { name: "key-separator", valueName: "SEP", help: "each line is KEY<SEP>VALUE" },
      {
        name: "header",
        short: "H",
        valueName: "KEY=VALUE",
        schema: keyValueText,
        allowed: "KEY=VALUE",
        repeatable: true,
        help: "a header on every record, repeatable",
      },
      { ...partitionFlag, help: "the partition (default: by key, as Kafka's partitioner)" },
    ],
    run: produceLines,
  },
  {
    path: ["consume"],
    summary: "print a topic's records, from the beginning unless told otherwise",
    details: [
      "chronik consume orders --count 10",
      "chronik consume orders --time 2026-11-01T00:00:00Z --stop-at-end --json",
    ],
    positionals: [{ name: "TOPIC", required: true }],
    flags: [
      { name: "from-beginning", help: "from each partition's log start (the default)" },
      { name: "from-end", help: "only records produced from now on" },
      {
        name: "offset",
        short: "o",
        valueName: "N",
        schema: integerText(0, Number.MAX_SAFE_INTEGER),
        allowed: "an offset",
        help: "from this offset in each partition (kept within the log)",
      },
      {
        name: "time",
        valueName: "TIME",
        schema: timestampText,
        allowed: timestampAllowed,
        help: "from the first record at or after this time",
      },
      {
        name: "count",
        short: "n",
        valueName: "N",
        schema: integerText(1, 2 ** 31 - 1),
        allowed: "a positive integer",
        help: "stop after N records",
      },
      {
        name: "timeout",
        valueName: "DURATION",
        schema: durationText,
        allowed: "a duration like 500ms, 10s, 5m (at most 1h)",
        help: "stop after this long (default and most: 1h)",
      },
      { name: "stop-at-end", short: "e", help: "stop at the end each partition had when consuming began" },
      { ...partitionFlag, repeatable: true, help: "only this partition, repeatable" },
      { name: "print-key", help: "print KEY<TAB>VALUE" },
    ],
    run: consumeRecords,
  },
  {
    path: ["records", "delete"],
    summary: "delete a topic's records before an offset (move the log start up)",
    details: [
      "chronik records delete orders --offset 1000 --partition 0",
      "chronik records delete orders --offset -1",
    ],
    positionals: [{ name: "TOPIC", required: true }],
    flags: [
      {
        name: "offset",
        short: "o",
        valueName: "N",
        schema: integerText(-1, Number.MAX_SAFE_INTEGER),
        allowed: "an offset, or -1 for the high watermark",
        help: "records before this offset go; -1: everything committed (required)",
      },
      {
        ...partitionFlag,
        repeatable: true,
        help: "only this partition, repeatable (default: every partition)",
      },
    ],
    async run(input, { client, json, io }) {
      const offset = input.flags.get("offset")?.[0] as number | undefined;
      if (offset === undefined) throw new CommandFailure("records delete needs --offset N", exitCode.usage);
      const topic = input.positionals.get("TOPIC")![0]!;
      let partitions = (input.flags.get("partition") ?? []) as number[];
      if (partitions.length === 0) {
        partitions = (await client.describeTopic({ topic })).partitions.map(
          (partition) => partition.partition,
        );
      }
      const deleted = await client.deleteRecords({
        topic,
        partitions: partitions.map((partition) => ({ partition, offset: BigInt(offset) })),
      });
      if (json) io.out(prettyJson(messageJson(DeleteRecordsResponseSchema, deleted)));
      else
        io.out(
          table(
            ["partition", "low-watermark"],
            deleted.partitions.map((partition) => [partition.partition, partition.lowWatermark]),
          ),
        );
      return exitCode.ok;
    },
  },
];
