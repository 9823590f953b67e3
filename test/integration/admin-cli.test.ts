// Proves the chronik command-line tool against a real broker process guarded by an admin token: cluster status,
// the topic commands, produce from stdin and consume back, consumer groups (list, describe with lag,
// reset-offsets as a dry run and executed, delete) and records delete, each as a table and as --json; and bad
// input — an unknown topic, a bad flag, a missing or wrong token, an unreachable node, a reset without a group —
// answered with one line on stderr and an exit code that says which kind of failure it was.

import { expect, test } from "bun:test";
import { type CommandRun, runChronik } from "../support/admin-client.ts";
import { runClient } from "../support/in-process-broker.ts";
import { brokerForFile, freePort } from "../support/server-process.ts";

const token = "cli-test-token";
const broker = brokerForFile("admin-cli", {
  args: ["--admin-token", token, "--group-initial-rebalance-delay-ms", "0"],
});

function chronik(args: string[], options: { input?: string; env?: Record<string, string> } = {}) {
  return runChronik(args, {
    input: options.input,
    env: {
      CHRONIK_ADMIN_URL: `http://127.0.0.1:${broker.server().httpPort}`,
      CHRONIK_ADMIN_TOKEN: token,
      ...options.env,
    },
  });
}

/** The run succeeded: exit 0, nothing on stderr. */
function ok(run: CommandRun): string {
  expect({ exitCode: run.exitCode, stderr: run.stderr }).toEqual({ exitCode: 0, stderr: "" });
  return run.stdout;
}

/** The run failed with exactly one line on stderr and nothing on stdout. */
function failed(run: CommandRun, exitCode: number): string {
  expect({ exitCode: run.exitCode, stdout: run.stdout }).toEqual({ exitCode, stdout: "" });
  expect(run.stderr.endsWith("\n")).toBe(true);
  expect(run.stderr.trimEnd().split("\n")).toHaveLength(1);
  expect(run.stderr).toStartWith("chronik: ");
  return run.stderr.trimEnd();
}

/** A table's rows as arrays of cells, the header first. */
function rows(table: string): string[][] {
  return table
    .trimEnd()
    .split("\n")
    .map((line) => line.trim().split(/\s{2,}/));
}

test("cluster status shows the node as a table and as JSON", async () => {
  const table = ok(await chronik(["cluster", "status"]));
  expect(table).toStartWith("CLUSTER\n=======\ncluster-id");
  const nodes = rows(table.slice(table.indexOf("NODES\n=====\n") + 12));
  expect(nodes[0]).toEqual(["ID", "HOST", "PORT", "RACK", "ROLE", "FENCED", "REACHABLE", "VERSION"]);
  expect(nodes[1]!.slice(0, 7)).toEqual([
    "1",
    "127.0.0.1",
    String(broker.server().kafkaPort),
    "-",
    "leader",
    "no",
    "yes",
  ]);
  const json = JSON.parse(ok(await chronik(["cluster", "status", "--json"])));
  expect(json).toMatchObject({
    controllerId: 1,
    answeredBy: 1,
    nodes: [{ nodeId: 1, role: "leader", reachable: true }],
  });
});

test("topics are created, listed, described, reconfigured, grown and deleted", async () => {
  expect(
    rows(ok(await chronik(["topic", "create", "cli-a", "cli-b", "-p", "2", "-c", "retention.ms=120000"]))),
  ).toEqual([
    ["TOPIC", "STATUS"],
    ["cli-a", "OK"],
    ["cli-b", "OK"],
  ]);
  const listed = rows(ok(await chronik(["topic", "list"])));
  expect(listed[0]).toEqual(["NAME", "PARTITIONS", "REPLICAS"]);
  expect(listed).toContainEqual(["cli-a", "2", "1"]);
  const listedJson = JSON.parse(ok(await chronik(["--json", "topic", "list"])));
  expect(listedJson.topics).toContainEqual(expect.objectContaining({ name: "cli-b", partitionCount: 2 }));

  const described = ok(await chronik(["topic", "describe", "cli-a"]));
  expect(described).toContain("SUMMARY\n=======\nname         cli-a\n");
  expect(rows(described.slice(described.indexOf("CONFIGS")))).toContainEqual([
    "retention.ms",
    "120000",
    "DYNAMIC_TOPIC_CONFIG",
  ]);
  const partitions = rows(described.slice(described.indexOf("PARTITIONS\n==========\n") + 22));
  expect(partitions[0]).toEqual([
    "PARTITION",
    "LEADER",
    "EPOCH",
    "REPLICAS",
    "ISR",
    "LOG-START-OFFSET",
    "HIGH-WATERMARK",
    "LOG-END-OFFSET",
    "SIZE",
  ]);
  expect(partitions[1]!.slice(0, 7)).toEqual(["0", "1", "0", "[1]", "[1]", "0", "0"]);
  const describedJson = JSON.parse(ok(await chronik(["topic", "describe", "cli-a", "--json"])));
  expect(describedJson.partitions).toHaveLength(2);
  expect(describedJson.configs).toContainEqual(
    expect.objectContaining({ name: "retention.ms", value: "120000", source: "DYNAMIC_TOPIC_CONFIG" }),
  );

  const altered = ok(
    await chronik([
      "topic",
      "alter-config",
      "cli-a",
      "--set",
      "retention.bytes=4096",
      "--delete",
      "retention.ms",
    ]),
  );
  expect(rows(altered)).toEqual([
    ["KEY", "VALUE", "SOURCE"],
    ["retention.bytes", "4096", "DYNAMIC_TOPIC_CONFIG"],
  ]);
  expect(rows(ok(await chronik(["topic", "add-partitions", "cli-a", "--num", "3"])))).toEqual([
    ["TOPIC", "STATUS"],
    ["cli-a", "OK (5 partitions)"],
  ]);
  expect(JSON.parse(ok(await chronik(["topic", "delete", "cli-b", "--json"])))).toMatchObject({
    topic: "cli-b",
  });
  expect(rows(ok(await chronik(["topic", "list"]))).map((row) => row[0])).not.toContain("cli-b");
});

test("produce takes stdin lines with a key and headers; consume prints them back, as values or JSON", async () => {
  ok(await chronik(["topic", "create", "cli-records", "-p", "1"]));
  const produced = ok(
    await chronik(["produce", "cli-records", "--key", "k1", "-H", "source=cli"], {
      input: "first\nsecond\nthird\n",
    }),
  );
  expect(produced.trimEnd().split("\n")).toEqual([
    "Produced to partition 0 at offset 0",
    "Produced to partition 0 at offset 1",
    "Produced to partition 0 at offset 2",
  ]);
  ok(await chronik(["produce", "cli-records", "--key-separator", ":"], { input: "k2:fourth\n" }));
  // A Kafka client sees what chronik produced.
  const kcat = await runClient([
    ...["timeout", "20", "kcat", "-C", "-q", "-e", "-b", broker.address(), "-t", "cli-records"],
    ...["-f", "%k=%s %h\n"],
  ]);
  expect(kcat.trimEnd().split("\n")).toEqual([
    "k1=first source=cli",
    "k1=second source=cli",
    "k1=third source=cli",
    "k2=fourth",
  ]);

  expect(ok(await chronik(["consume", "cli-records", "--stop-at-end"]))).toBe(
    "first\nsecond\nthird\nfourth\n",
  );
  expect(ok(await chronik(["consume", "cli-records", "--offset", "2", "-e", "--print-key"]))).toBe(
    "k1\tthird\nk2\tfourth\n",
  );
  const json = ok(await chronik(["consume", "cli-records", "--count", "1", "--json"]))
    .trimEnd()
    .split("\n")
    .map((line) => JSON.parse(line));
  expect(json).toEqual([
    expect.objectContaining({
      partition: 0,
      offset: "0",
      key: { text: "k1" },
      value: { text: "first" },
      headers: [{ key: "source", value: { text: "cli" } }],
    }),
  ]);
  // Time-bounded: nothing new arrives, the command ends when its time is up.
  expect(ok(await chronik(["consume", "cli-records", "--from-end", "--timeout", "300ms"]))).toBe("");

  expect(rows(ok(await chronik(["records", "delete", "cli-records", "--offset", "2"])))).toEqual([
    ["PARTITION", "LOW-WATERMARK"],
    ["0", "2"],
  ]);
  expect(ok(await chronik(["consume", "cli-records", "--from-beginning", "-e"]))).toBe("third\nfourth\n");
});

test("groups are listed, described with lag, reset (a dry run unless --execute) and deleted", async () => {
  ok(await chronik(["topic", "create", "cli-orders", "-p", "1"]));
  ok(await chronik(["produce", "cli-orders"], { input: "a\nb\nc\nd\n" }));
  await runClient([
    ...["timeout", "30", "kcat", "-b", broker.address(), "-G", "cli-group", "cli-orders"],
    ...["-q", "-e", "-o", "beginning", "-X", "auto.offset.reset=earliest"],
  ]);
  ok(await chronik(["produce", "cli-orders"], { input: "e\n" }));

  expect(rows(ok(await chronik(["group", "list"])))).toContainEqual(["cli-group", "classic", "Empty", "1"]);
  const described = ok(await chronik(["group", "describe", "cli-group"]));
  expect(described).toContain("total-lag    1\n");
  expect(rows(described.slice(described.indexOf("OFFSETS\n=======\n") + 16))).toEqual([
    ["TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG", "MEMBER-ID", "CLIENT-ID", "HOST"],
    ["cli-orders", "0", "4", "5", "1", "-", "-", "-"],
  ]);

  const dryRun = await chronik([
    "group",
    "reset-offsets",
    "cli-group",
    "--topic",
    "cli-orders",
    "--to-earliest",
  ]);
  expect(dryRun.exitCode).toBe(0);
  expect(dryRun.stderr).toBe("dry run: nothing changed (add --execute to apply)\n");
  expect(rows(dryRun.stdout)).toEqual([
    ["GROUP", "TOPIC", "PARTITION", "PREVIOUS-OFFSET", "NEW-OFFSET"],
    ["cli-group", "cli-orders", "0", "4", "0"],
  ]);
  const unchanged = JSON.parse(ok(await chronik(["group", "describe", "cli-group", "--json"])));
  expect(unchanged.offsets[0]).toMatchObject({ committedOffset: "4", lag: "1" });

  const executed = JSON.parse(
    ok(
      await chronik([
        "group",
        "reset-offsets",
        "cli-group",
        "--all-topics",
        "--shift-by",
        "-3",
        "--execute",
        "--json",
      ]),
    ),
  );
  expect(executed).toMatchObject({
    executed: true,
    partitions: [{ topic: "cli-orders", previousOffset: "4", newOffset: "1" }],
  });
  expect(JSON.parse(ok(await chronik(["group", "describe", "cli-group", "--json"]))).totalLag).toBe("4");

  expect(rows(ok(await chronik(["group", "delete", "cli-group"])))).toEqual([
    ["GROUP", "STATUS"],
    ["cli-group", "OK"],
  ]);
  expect(failed(await chronik(["group", "describe", "cli-group"]), 1)).toBe(
    'chronik: group "cli-group" does not exist',
  );
});

test("bad input is one line on stderr with an exit code that says what kind of failure it was", async () => {
  expect(failed(await chronik(["topic", "describe", "no-such-topic"]), 1)).toBe(
    'chronik: topic "no-such-topic" does not exist',
  );
  expect(failed(await chronik(["topic", "create", "x", "--partitions", "many"]), 2)).toBe(
    'chronik: --partitions: "many" is not allowed; expected 1 to 100000',
  );
  expect(failed(await chronik(["topic", "list", "--bogus"]), 2)).toBe(
    'chronik: unknown flag --bogus for "topic list" (see --help)',
  );
  expect(failed(await chronik(["group", "reset-offsets", "--to-earliest", "--all-topics"]), 2)).toBe(
    'chronik: "group reset-offsets" needs GROUP (see --help)',
  );
  expect(failed(await chronik(["group", "reset-offsets", "g", "--all-topics"]), 2)).toContain(
    "needs exactly one of",
  );
  expect(failed(await chronik(["topic", "frobnicate"]), 2)).toBe(
    'chronik: unknown command "topic frobnicate" (see chronik --help)',
  );
  expect(failed(await chronik(["topic", "alter-config", "x-missing", "--set", "retention.ms=1"]), 1)).toBe(
    'chronik: topic "x-missing" does not exist',
  );
  ok(await chronik(["topic", "create", "cli-config"]));
  expect(
    failed(await chronik(["topic", "alter-config", "cli-config", "--set", "retention.ms=later"]), 1),
  ).toBe('chronik: invalid value for retention.ms: "later" is not an integer');
  expect(failed(await chronik(["topic", "list"], { env: { CHRONIK_ADMIN_TOKEN: "" } }), 4)).toBe(
    "chronik: missing bearer token (Authorization: Bearer <token>)",
  );
  expect(failed(await chronik(["topic", "list", "--admin-token", "not-the-token"]), 4)).toBe(
    "chronik: wrong admin token",
  );
  const nobody = `http://127.0.0.1:${await freePort()}`;
  expect(failed(await chronik(["topic", "list", "--admin-url", nobody]), 3)).toStartWith(
    `chronik: ${nobody}: `,
  );
  expect(failed(await chronik(["topic", "list"], { env: { CHRONIK_ADMIN_URL: "ftp://x" } }), 2)).toContain(
    "CHRONIK_ADMIN_URL",
  );
});

test("--help answers for chronik, a group of commands and a command, on stdout with exit 0", async () => {
  expect(ok(await chronik(["--help"]))).toContain("Usage: chronik [global flags] <command>");
  expect(ok(await chronik(["group"]))).toContain("group reset-offsets");
  const help = ok(await chronik(["consume", "--help"]));
  expect(help).toStartWith("chronik consume: ");
  expect(help).toContain("--from-beginning");
});
