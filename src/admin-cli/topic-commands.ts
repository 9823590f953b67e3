// chronik topic create|list|describe|delete|alter-config|add-partitions, shaped after rpk's topic commands.

import { ConnectError } from "@connectrpc/connect";
import {
  AddPartitionsResponseSchema,
  AlterTopicConfigsResponseSchema,
  type ConfigEntry,
  CreateTopicResponseSchema,
  DescribeTopicConfigsResponseSchema,
  DescribeTopicResponseSchema,
  ListTopicsResponseSchema,
} from "../gen/chronik/admin/v1/admin_pb.ts";
import type { CliContext, Command } from "./cli-context.ts";
import { CommandFailure } from "./cli-context.ts";
import { integerText, keyValueText, type ParsedCommand } from "./command-line.ts";
import { keyValues, messageJson, orDash, prettyJson, section, table } from "./output.ts";

const configFlag = (name: string, short: string | undefined, help: string) => ({
  name,
  short,
  valueName: "KEY=VALUE",
  schema: keyValueText,
  allowed: "KEY=VALUE",
  repeatable: true,
  help,
});

function pairs(input: ParsedCommand, flag: string): Record<string, string> {
  return Object.fromEntries((input.flags.get(flag) ?? []) as Array<[string, string]>);
}

const dryFlag = { name: "dry", short: "d", help: "check the request and change nothing" };

/** Runs `each` for every topic named; one topic's refusal is its one-line error, several make a STATUS table. */
async function forEachTopic<T>(
  topics: readonly string[],
  context: CliContext,
  each: (topic: string) => Promise<T>,
  show: (topic: string, result: T) => { json: unknown; status: string },
): Promise<number> {
  const outcomes: Array<{ topic: string; json: unknown; status: string; failed: boolean }> = [];
  for (const topic of topics) {
    try {
      outcomes.push({ topic, failed: false, ...show(topic, await each(topic)) });
    } catch (error) {
      if (!(error instanceof ConnectError) || topics.length === 1) throw error;
      outcomes.push({
        topic,
        failed: true,
        json: { topic, error: error.rawMessage },
        status: error.rawMessage,
      });
    }
  }
  if (context.json) {
    const values = outcomes.map((outcome) => outcome.json);
    context.io.out(prettyJson(values.length === 1 ? values[0] : values));
  } else {
    context.io.out(
      table(
        ["topic", "status"],
        outcomes.map((outcome) => [outcome.topic, outcome.status]),
      ),
    );
  }
  return outcomes.some((outcome) => outcome.failed) ? 1 : 0;
}

function configRows(configs: readonly ConfigEntry[]) {
  return table(
    ["key", "value", "source"],
    configs.map((config) => [config.name, config.value || "-", config.source]),
  );
}

export const topicCommands: Command[] = [
  {
    path: ["topic", "create"],
    summary: "create topics",
    details: ["chronik topic create orders -p 6 -c retention.ms=86400000"],
    positionals: [{ name: "TOPIC", required: true, variadic: true }],
    flags: [
      {
        name: "partitions",
        short: "p",
        valueName: "N",
        schema: integerText(1, 100_000),
        allowed: "1 to 100000",
        help: "partitions per topic (default: the broker's num.partitions)",
      },
      {
        name: "replicas",
        short: "r",
        valueName: "N",
        schema: integerText(1, 32_767),
        allowed: "1 to 32767",
        help: "replicas per partition (default: the broker's default.replication.factor)",
      },
      configFlag("topic-config", "c", "a topic config override, repeatable"),
      dryFlag,
    ],
    run: (input, context) =>
      forEachTopic(
        input.positionals.get("TOPIC")!,
        context,
        (topic) =>
          context.client.createTopic({
            topic,
            partitions: (input.flags.get("partitions")?.[0] as number | undefined) ?? 0,
            replicationFactor: (input.flags.get("replicas")?.[0] as number | undefined) ?? 0,
            configs: pairs(input, "topic-config"),
            validateOnly: input.flags.has("dry"),
          }),
        (_, created) => ({
          json: messageJson(CreateTopicResponseSchema, created),
          status: input.flags.has("dry")
            ? `OK (dry run: ${created.partitions} partitions, ${created.replicationFactor} replicas)`
            : "OK",
        }),
      ),
  },
  {
    path: ["topic", "list"],
    summary: "list topics",
    positionals: [],
    flags: [{ name: "internal", short: "i", help: "include internal topics (__consumer_offsets)" }],
    async run(input, { client, json, io }) {
      const listed = await client.listTopics({ includeInternal: input.flags.has("internal") });
      if (json) io.out(prettyJson(messageJson(ListTopicsResponseSchema, listed)));
      else
        io.out(
          table(
            ["name", "partitions", "replicas"],
            listed.topics.map((topic) => [topic.name, topic.partitionCount, topic.replicationFactor]),
          ),
        );
      return 0;
    },
  },
  {
    path: ["topic", "describe"],
    summary: "show a topic's summary, configs and partitions (leader, replicas, ISR, offsets, size)",
    details: [
      "Offsets and sizes are the answering node's replicas': in a cluster, ask a node hosting the partition.",
    ],
    positionals: [{ name: "TOPIC", required: true }],
    flags: [],
    async run(input, { client, json, io }) {
      const topic = input.positionals.get("TOPIC")![0]!;
      const described = await client.describeTopic({ topic });
      const configs = await client.describeTopicConfigs({ topic });
      if (json) {
        io.out(
          prettyJson({
            ...(messageJson(DescribeTopicResponseSchema, described) as object),
            configs: (messageJson(DescribeTopicConfigsResponseSchema, configs) as { configs: unknown })
              .configs,
          }),
        );
        return 0;
      }
      const summary = keyValues([
        ["name", described.name],
        ["id", described.topicId],
        ["internal", described.internal],
        ["partitions", described.partitions.length],
        ["replicas", described.partitions[0]?.replicas.length ?? 0],
        ["answered-by", described.answeredBy],
      ]);
      const partitions = table(
        [
          "partition",
          "leader",
          "epoch",
          "replicas",
          "isr",
          "log-start-offset",
          "high-watermark",
          "log-end-offset",
          "size",
        ],
        described.partitions.map((partition) => [
          partition.partition,
          orDash(partition.leaderId),
          orDash(partition.leaderEpoch),
          `[${partition.replicas.join(" ")}]`,
          `[${partition.isr.join(" ")}]`,
          orDash(partition.logStartOffset),
          orDash(partition.highWatermark),
          orDash(partition.logEndOffset),
          orDash(partition.sizeBytes),
        ]),
      );
      const blocks = [
        section("summary", summary),
        section("configs", configRows(configs.configs)),
        section("partitions", partitions),
      ];
      io.out(blocks.join("\n\n"));
      return 0;
    },
  },
  {
    path: ["topic", "delete"],
    summary: "delete topics and all their records",
    positionals: [{ name: "TOPIC", required: true, variadic: true }],
    flags: [],
    run: (input, context) =>
      forEachTopic(
        input.positionals.get("TOPIC")!,
        context,
        (topic) => context.client.deleteTopic({ topic }),
        (topic, deleted) => ({ json: { topic, topicId: deleted.topicId }, status: "OK" }),
      ),
  },
  {
    path: ["topic", "alter-config"],
    summary: "set, delete, append to or subtract from a topic's config overrides",
    details: ["chronik topic alter-config orders --set retention.ms=3600000 --delete cleanup.policy"],
    positionals: [{ name: "TOPIC", required: true }],
    flags: [
      configFlag("set", "s", "set an override, repeatable"),
      {
        name: "delete",
        valueName: "KEY",
        repeatable: true,
        help: "remove an override (back to the default), repeatable",
      },
      configFlag("append", undefined, "add items to a list config, repeatable"),
      configFlag("subtract", undefined, "remove items from a list config, repeatable"),
      dryFlag,
    ],
    async run(input, { client, json, io }) {
      const altered = await client.alterTopicConfigs({
        topic: input.positionals.get("TOPIC")![0]!,
        set: pairs(input, "set"),
        delete: (input.flags.get("delete") ?? []) as string[],
        append: pairs(input, "append"),
        subtract: pairs(input, "subtract"),
        validateOnly: input.flags.has("dry"),
      });
      if (json) io.out(prettyJson(messageJson(AlterTopicConfigsResponseSchema, altered)));
      else
        io.out(
          altered.configs.length === 0
            ? "no overrides: every config at its default"
            : configRows(altered.configs),
        );
      return 0;
    },
  },
  {
    path: ["topic", "add-partitions"],
    summary: "add partitions to topics",
    positionals: [{ name: "TOPIC", required: true, variadic: true }],
    flags: [
      {
        name: "num",
        short: "n",
        valueName: "N",
        schema: integerText(1, 100_000),
        allowed: "1 to 100000",
        help: "how many partitions to add to each topic (required)",
      },
      dryFlag,
    ],
    run(input, context) {
      const count = input.flags.get("num")?.[0] as number | undefined;
      if (count === undefined) throw new CommandFailure("topic add-partitions needs --num N", 2);
      return forEachTopic(
        input.positionals.get("TOPIC")!,
        context,
        (topic) => context.client.addPartitions({ topic, count, validateOnly: input.flags.has("dry") }),
        (topic, added) => ({
          json: { topic, ...(messageJson(AddPartitionsResponseSchema, added) as object) },
          status: `OK (${added.partitions} partitions${input.flags.has("dry") ? ", dry run" : ""})`,
        }),
      );
    },
  },
];
