// Proves the copy of Kafka's message definitions committed in scripts/kafka-codec/message-spec (read when
// ../shared is absent) is byte for byte the workplace's ../shared/kafka-message-spec, wherever both exist.

import { expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { committedSpecDirectory, sharedSpecDirectory } from "../../scripts/kafka-codec/spec-directory.ts";

test.skipIf(!existsSync(sharedSpecDirectory))("the committed spec copy matches ../shared", () => {
  const shared = readdirSync(sharedSpecDirectory).sort();
  expect(readdirSync(committedSpecDirectory).sort()).toEqual(shared);
  for (const name of shared) {
    const same = readFileSync(join(committedSpecDirectory, name)).equals(
      readFileSync(join(sharedSpecDirectory, name)),
    );
    expect({ name, same }).toEqual({ name, same: true });
  }
});
