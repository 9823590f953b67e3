// Runs the scripted scenarios in test/raft/scripts (etcd's data-driven style): each block is a command, a
// "----" line and the cluster state it must produce, so a scenario reads like a lab notebook.
// Set REWRITE=1 to write the observed output back into the scripts after a deliberate behaviour change.
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { TestCluster } from "./cluster.ts";

interface Block {
  readonly command: string;
  readonly expected: string;
}

function parse(text: string): Block[] {
  const blocks: Block[] = [];
  for (const chunk of text.split(/\n\n+/)) {
    const lines = chunk.split("\n").filter((line) => !line.startsWith("#") && line.trim() !== "");
    const separator = lines.indexOf("----");
    if (lines.length === 0) continue;
    if (separator !== 1) throw new Error(`each block is one command, "----", and its output: ${chunk}`);
    blocks.push({ command: lines[0]!, expected: lines.slice(2).join("\n") });
  }
  return blocks;
}

class Runner {
  private cluster: TestCluster | undefined;

  run(command: string): string {
    const [verb = "", ...args] = command.split(" ");
    const ids = args.map(Number);
    if (verb === "cluster") return this.create(args);
    const cluster = this.cluster!;
    switch (verb) {
      case "campaign":
        cluster.elect(ids[0]!);
        break;
      case "propose":
        cluster.propose(ids[0]!, ids[1] ?? 1);
        break;
      case "isolate":
        cluster.isolate(ids[0]!);
        break;
      case "heal":
        cluster.heal();
        break;
      case "crash":
        cluster.crash(ids[0]!);
        break;
      case "restart":
        cluster.restart(ids[0]!);
        break;
      case "tick":
        cluster.tickAll(ids[0] ?? 1);
        break;
      case "log":
        return cluster.durableLog(ids[0]!).join(" ");
      default:
        throw new Error(`unknown command ${verb}`);
    }
    return this.status();
  }

  private create(args: readonly string[]): string {
    const voters = args
      .find((arg) => arg.startsWith("voters="))!
      .slice(7)
      .split(",")
      .map(Number);
    const overrides = { preVote: args.includes("prevote"), checkQuorum: args.includes("checkquorum") };
    this.cluster = new TestCluster({ voters, overrides });
    return this.status();
  }

  private status(): string {
    const lines: string[] = [];
    for (const [id, sim] of this.cluster!.members) {
      const raft = sim.raft;
      if (raft === undefined) {
        lines.push(`${id}: down`);
        continue;
      }
      const last = `${raft.log.lastOffset()}@${raft.log.lastEpoch()}`;
      lines.push(`${id}: ${raft.role} term=${raft.term} last=${last} commit=${raft.commitOffset}`);
    }
    return lines.join("\n");
  }
}

const directory = join(import.meta.dir, "scripts");

describe("scripted scenarios", () => {
  for (const file of readdirSync(directory).filter((name) => name.endsWith(".txt"))) {
    test(file, () => {
      const path = join(directory, file);
      const text = readFileSync(path, "utf8");
      const runner = new Runner();
      const blocks = parse(text);
      const observed = blocks.map((block) => ({ command: block.command, output: runner.run(block.command) }));
      if (process.env.REWRITE === "1") {
        const comments = text.split("\n").filter((line) => line.startsWith("#"));
        const body = observed.map((block) => `${block.command}\n----\n${block.output}`).join("\n\n");
        writeFileSync(path, `${comments.join("\n")}\n\n${body}\n`);
        return;
      }
      for (let index = 0; index < blocks.length; index++) {
        expect({ command: blocks[index]!.command, output: observed[index]!.output }).toEqual({
          command: blocks[index]!.command,
          output: blocks[index]!.expected,
        });
      }
    });
  }
});
