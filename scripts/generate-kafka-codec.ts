// Generates src/protocol/messages/ from Apache Kafka's JSON message specs (../shared/kafka-message-spec,
// relative to the repository root, or the committed copy; see kafka-codec/spec-directory.ts): one kebab-case
// file per request/response pair or other message, plus registry.ts.
// Run: node_modules/.bin/bun scripts/generate-kafka-codec.ts

import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { emitFile } from "./kafka-codec/emit-file.ts";
import { type ApiPair, emitRegistry, type GeneratedFile } from "./kafka-codec/emit-registry.ts";
import { specDirectory } from "./kafka-codec/spec-directory.ts";
import { type MessageSpec, readMessageSpecs } from "./kafka-codec/spec-reader.ts";

const repoRoot = resolve(import.meta.dir, "..");
const outputDirectory = join(repoRoot, "src/protocol/messages");

export function kebabCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1-$2")
    .replace(/([A-Z])([A-Z][a-z])/g, "$1-$2")
    .toLowerCase();
}

function apiNameOf(message: MessageSpec): string {
  return message.name.replace(/(Request|Response)$/, "");
}

/** Pairs each request with the response of the same API key. */
function pairApis(messages: MessageSpec[]): ApiPair[] {
  const responses = new Map(messages.filter((m) => m.kind === "response").map((m) => [m.apiKey, m]));
  const pairs: ApiPair[] = [];
  for (const request of messages.filter((m) => m.kind === "request")) {
    const response = responses.get(request.apiKey);
    if (response === undefined || request.apiKey === null) throw new Error(`${request.name}: no response`);
    const name = apiNameOf(request);
    pairs.push({ apiKey: request.apiKey, name, request, response, base: kebabCase(name) });
  }
  return pairs.sort((a, b) => a.apiKey - b.apiKey);
}

function groupFiles(messages: MessageSpec[], pairs: ApiPair[]): GeneratedFile[] {
  const files: GeneratedFile[] = pairs.map((pair) => ({
    base: pair.base,
    messages: [pair.request, pair.response],
  }));
  for (const message of messages.filter((m) => m.kind === "header" || m.kind === "data")) {
    files.push({ base: kebabCase(message.name), messages: [message] });
  }
  return files;
}

/** Where the specs came from, read from the NOTICE beside them (Apache-2.0 files at a given Kafka commit). */
function specSource(): string {
  const notice = readFileSync(join(specDirectory, "NOTICE"), "utf8");
  const commit = /commit ([0-9a-f]{40})/.exec(notice)?.[1];
  if (commit === undefined) throw new Error("NOTICE names no Kafka commit");
  return `Apache Kafka's message definitions (Apache-2.0) at commit ${commit}; see kafka-message-spec/NOTICE.`;
}

function writeOutput(files: GeneratedFile[], pairs: ApiPair[]): void {
  mkdirSync(outputDirectory, { recursive: true });
  for (const old of readdirSync(outputDirectory)) {
    if (old.endsWith(".ts")) rmSync(join(outputDirectory, old));
  }
  for (const file of files) writeFileSync(join(outputDirectory, `${file.base}.ts`), emitFile(file.messages));
  writeFileSync(join(outputDirectory, "registry.ts"), emitRegistry(files, pairs, specSource()));
}

function formatOutput(): void {
  const biome = join(repoRoot, "node_modules/.bin/biome");
  const result = Bun.spawnSync([biome, "check", "--write", outputDirectory], {
    cwd: repoRoot,
    stdout: "inherit",
    stderr: "inherit",
  });
  if (result.exitCode !== 0) throw new Error(`biome check --write failed with exit code ${result.exitCode}`);
}

if (import.meta.main) {
  const messages = readMessageSpecs(specDirectory);
  const pairs = pairApis(messages);
  const files = groupFiles(messages, pairs);
  writeOutput(files, pairs);
  formatOutput();
  console.log(`generated ${files.length + 1} files for ${pairs.length} APIs in ${outputDirectory}`);
}
