// chronik group list|describe|reset-offsets|delete, shaped after rpk group and kafka-consumer-groups.sh (whose
// --reset-offsets flags and dry-run-by-default it keeps).

import * as v from "valibot";
import {
  DescribeGroupResponseSchema,
  ListGroupsResponseSchema,
  type ResetGroupOffsetsRequest,
  ResetGroupOffsetsResponseSchema,
} from "../gen/chronik/admin/v1/admin_pb.ts";
import { type Command, CommandFailure, exitCode } from "./cli-context.ts";
import { integerText, type ParsedCommand, timestampAllowed, timestampText } from "./command-line.ts";
import { keyValues, messageJson, orDash, prettyJson, section, table } from "./output.ts";

/** "orders" (every partition) or "orders:0,2" (those partitions), as kafka-consumer-groups.sh --topic. */
const topicPartitionsText = v.pipe(
  v.string(),
  v.regex(/^[^:]+(:\d+(,\d+)*)?$/),
  v.transform((text) => {
    const [topic, list] = text.split(":") as [string, string | undefined];
    return { topic, partitions: list === undefined ? [] : list.split(",").map(Number) };
  }),
);

type Target = ResetGroupOffsetsRequest["target"];

/** The one reset target the flags name. */
function resetTarget(input: ParsedCommand): Target {
  const targets: Target[] = [];
  if (input.flags.has("to-earliest")) targets.push({ case: "toEarliest", value: true });
  if (input.flags.has("to-latest")) targets.push({ case: "toLatest", value: true });
  const offset = input.flags.get("to-offset")?.[0] as number | undefined;
  if (offset !== undefined) targets.push({ case: "toOffset", value: BigInt(offset) });
  const time = input.flags.get("to-datetime")?.[0] as number | undefined;
  if (time !== undefined) targets.push({ case: "toTimestampMs", value: BigInt(time) });
  const shift = input.flags.get("shift-by")?.[0] as number | undefined;
  if (shift !== undefined) targets.push({ case: "shiftBy", value: BigInt(shift) });
  if (targets.length !== 1) {
    throw new CommandFailure(
      "group reset-offsets needs exactly one of --to-earliest, --to-latest, --to-offset, --to-datetime, --shift-by",
      exitCode.usage,
    );
  }
  return targets[0]!;
}

export const groupCommands: Command[] = [
  {
    path: ["group", "list"],
    summary: "list consumer groups (classic and consumer protocol)",
    positionals: [],
    flags: [
      {
        name: "state",
        valueName: "STATE",
        repeatable: true,
        help: "only groups in this state (Stable, Empty, …)",
      },
      {
        name: "type",
        valueName: "TYPE",
        repeatable: true,
        help: "only groups of this type (classic, consumer)",
      },
    ],
    async run(input, { client, json, io }) {
      const listed = await client.listGroups({
        states: (input.flags.get("state") ?? []) as string[],
        types: (input.flags.get("type") ?? []) as string[],
      });
      if (json) {
        io.out(prettyJson(messageJson(ListGroupsResponseSchema, listed)));
        return 0;
      }
      io.out(
        table(
          ["group", "type", "state", "coordinator"],
          listed.groups.map((group) => [group.groupId, group.type, group.state, group.coordinatorId]),
        ),
      );
      if (listed.otherCoordinators.length > 0) {
        io.err(
          `note: groups coordinated by nodes ${listed.otherCoordinators.join(", ")} are not listed; ask them`,
        );
      }
      return 0;
    },
  },
  {
    path: ["group", "describe"],
    summary: "show a group's members, assignments, committed offsets and lag",
    positionals: [{ name: "GROUP", required: true }],
    flags: [],
    async run(input, { client, json, io }) {
      const group = await client.describeGroup({ group: input.positionals.get("GROUP")![0]! });
      if (json) {
        io.out(prettyJson(messageJson(DescribeGroupResponseSchema, group)));
        return 0;
      }
      const summary = keyValues([
        ["group", group.groupId],
        ["type", group.type],
        ["state", group.state],
        ["assignor", group.assignor || "-"],
        ["epoch", group.epoch],
        ["coordinator", group.coordinatorId],
        ["members", group.members.length],
        ["total-lag", group.totalLag],
      ]);
      const members = new Map(group.members.map((member) => [member.memberId, member]));
      const offsets = table(
        ["topic", "partition", "current-offset", "log-end-offset", "lag", "member-id", "client-id", "host"],
        group.offsets.map((offset) => {
          const member = members.get(offset.memberId);
          return [
            offset.topic,
            offset.partition,
            orDash(offset.committedOffset),
            orDash(offset.logEndOffset),
            orDash(offset.lag),
            offset.memberId || "-",
            member?.clientId || "-",
            member?.clientHost || "-",
          ];
        }),
      );
      io.out(`${section("summary", summary)}\n\n${section("offsets", offsets)}`);
      return 0;
    },
  },
  {
    path: ["group", "reset-offsets"],
    summary: "move an inactive group's committed offsets (a dry run unless --execute)",
    details: [
      "chronik group reset-offsets my-group --topic orders --to-earliest --execute",
      "chronik group reset-offsets my-group --topic orders:0,1 --shift-by -10",
      "chronik group reset-offsets my-group --all-topics --to-datetime 2026-11-01T00:00:00Z --execute",
    ],
    positionals: [{ name: "GROUP", required: true }],
    flags: [
      {
        name: "topic",
        short: "t",
        valueName: "TOPIC[:P,P…]",
        schema: topicPartitionsText,
        allowed: "TOPIC or TOPIC:0,1,2",
        repeatable: true,
        help: "a topic (every partition) or some of its partitions, repeatable",
      },
      { name: "all-topics", help: "every topic the group has committed offsets for" },
      { name: "to-earliest", help: "to each partition's log start" },
      { name: "to-latest", help: "to each partition's end" },
      {
        name: "to-offset",
        valueName: "N",
        schema: integerText(0, Number.MAX_SAFE_INTEGER),
        allowed: "an offset",
        help: "to this offset (kept within the log)",
      },
      {
        name: "to-datetime",
        valueName: "TIME",
        schema: timestampText,
        allowed: timestampAllowed,
        help: "to the first offset at or after this time",
      },
      {
        name: "shift-by",
        valueName: "N",
        schema: integerText(-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER),
        allowed: "an integer (negative moves back)",
        help: "by N from the committed offset (kept within the log)",
      },
      { name: "execute", help: "apply the change (without it, only show what would change)" },
      { name: "dry-run", help: "only show what would change (the default)" },
    ],
    async run(input, { client, json, io }) {
      const target = resetTarget(input);
      if (input.flags.has("execute") && input.flags.has("dry-run")) {
        throw new CommandFailure("give --execute or --dry-run, not both", exitCode.usage);
      }
      const topics = (input.flags.get("topic") ?? []) as Array<{ topic: string; partitions: number[] }>;
      const allTopics = input.flags.has("all-topics");
      if (topics.length > 0 === allTopics) {
        throw new CommandFailure(
          "group reset-offsets needs --topic TOPIC (repeatable) or --all-topics",
          exitCode.usage,
        );
      }
      const group = input.positionals.get("GROUP")![0]!;
      if (io.stderrIsTty) io.progress(`resetting offsets of group ${group}…`);
      const reset = await client.resetGroupOffsets({
        group,
        topics,
        allTopics,
        target,
        execute: input.flags.has("execute"),
      });
      if (io.stderrIsTty) io.progress("");
      if (json) {
        io.out(prettyJson(messageJson(ResetGroupOffsetsResponseSchema, reset)));
        return 0;
      }
      io.out(
        table(
          ["group", "topic", "partition", "previous-offset", "new-offset"],
          reset.partitions.map((partition) => [
            group,
            partition.topic,
            partition.partition,
            orDash(partition.previousOffset),
            partition.newOffset,
          ]),
        ),
      );
      if (!reset.executed) io.err("dry run: nothing changed (add --execute to apply)");
      return 0;
    },
  },
  {
    path: ["group", "delete"],
    summary: "delete inactive groups and their committed offsets",
    positionals: [{ name: "GROUP", required: true, variadic: true }],
    flags: [],
    async run(input, { client, json, io }) {
      const groups = input.positionals.get("GROUP")!;
      for (const group of groups) await client.deleteGroup({ group });
      if (json) io.out(prettyJson(groups.map((group) => ({ group, deleted: true }))));
      else
        io.out(
          table(
            ["group", "status"],
            groups.map((group) => [group, "OK"]),
          ),
        );
      return 0;
    },
  },
];
