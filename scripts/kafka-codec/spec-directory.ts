// Where Apache Kafka's message definitions are read from: ../shared/kafka-message-spec beside the repository
// (the workplace's copy, the source of truth) when it is there, else the copy committed in
// scripts/kafka-codec/message-spec, so a clone standing on its own still generates and tests the codec.
// test/protocol/message-spec-copy.test.ts fails when the two differ.

import { existsSync } from "node:fs";
import { resolve } from "node:path";

const repoRoot = resolve(import.meta.dir, "../..");
export const sharedSpecDirectory = resolve(repoRoot, "../shared/kafka-message-spec");
export const committedSpecDirectory = resolve(import.meta.dir, "message-spec");
export const specDirectory = existsSync(sharedSpecDirectory) ? sharedSpecDirectory : committedSpecDirectory;
