// Proves that a broken invariant stops the broker: a process serving the real listener and dispatcher, with
// src/app's exit-on-bug wiring, whose Metadata handler fails an assertion, exits non-zero (EX_SOFTWARE) with
// one log line naming the bug — after answering the requests before it — instead of closing that one
// connection and serving on.

import { expect, test } from "bun:test";
import { join } from "node:path";
import { bugExitCode } from "../../src/app/exit-on-bug.ts";
import { createApiVersionsRequest } from "../../src/protocol/messages/api-versions.ts";
import { createMetadataRequest } from "../../src/protocol/messages/metadata.ts";
import { ApiKey } from "../../src/protocol/messages/registry.ts";
import { brokenInvariant } from "../support/asserting-broker.ts";
import { RawKafkaClient } from "../support/raw-kafka-client.ts";

const entryPath = join(import.meta.dir, "..", "support", "asserting-broker.ts");
/** Generous: the exit follows the request at once; this only bounds a broker that failed to exit. */
const exitMsMax = 3_000;

async function firstLine(stream: ReadableStream<Uint8Array>): Promise<string> {
  const decoder = new TextDecoder();
  let text = "";
  for await (const chunk of stream) {
    text += decoder.decode(chunk, { stream: true });
    if (text.includes("\n")) break;
  }
  return text.split("\n")[0]!;
}

test("a handler that fails an assertion ends the broker process with a non-zero exit and one line", async () => {
  const proc = Bun.spawn([process.execPath, entryPath], { stdout: "pipe", stderr: "pipe" });
  try {
    const port = Number((await firstLine(proc.stdout)).replace("listening ", ""));
    expect(port).toBeGreaterThan(0);
    const client = await RawKafkaClient.connect(port);
    const versions = await client.request(ApiKey.ApiVersions, 3, createApiVersionsRequest());
    expect(versions.errorCode).toBe(0);
    void client.request(ApiKey.Metadata, 12, createMetadataRequest());
    const exited = await Promise.race([proc.exited, Bun.sleep(exitMsMax).then(() => "still running")]);
    expect(exited).toBe(bugExitCode);
    const bugLines = (await new Response(proc.stderr).text())
      .split("\n")
      .filter((line) => line.includes("bug: stopping the process"));
    expect(bugLines).toHaveLength(1);
    expect(bugLines[0]).toContain(brokenInvariant);
    expect(bugLines[0]).toContain("apiKey=3");
    client.close();
  } finally {
    proc.kill("SIGKILL");
  }
});
