// --sasl-users: a file of "name:password" lines whose users get SCRAM-SHA-256 and SCRAM-SHA-512 credentials
// (which PLAIN checks too) at start-up, so a fresh cluster has an administrator. A user who already has a
// credential for a mechanism keeps it: the file seeds, it does not reset passwords changed since.

import { readFileSync } from "node:fs";
import type { Logger } from "../base/logger.ts";
import { credentialFromPassword, scramMechanisms } from "../broker/sasl/scram-crypto.ts";
import type { MetadataRecord } from "../cluster/metadata/metadata-records.ts";
import type { MetadataService } from "../cluster/metadata/metadata-service.ts";
import { StartupRefusal } from "./startup-refusal.ts";

/** The users of the file, in order; a malformed line refuses start-up naming its number. */
export function readSaslUsers(path: string): Array<{ user: string; password: string }> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new StartupRefusal(`--sasl-users: cannot read ${path}: ${(error as Error).message}`);
  }
  return text.split("\n").flatMap((line, index) => {
    const trimmed = line.replace(/\r$/, "");
    if (trimmed.trim() === "" || trimmed.trimStart().startsWith("#")) return [];
    const colon = trimmed.indexOf(":");
    if (colon <= 0 || colon === trimmed.length - 1) {
      throw new StartupRefusal(`--sasl-users: line ${index + 1} of ${path} is not name:password`);
    }
    return [{ user: trimmed.slice(0, colon), password: trimmed.slice(colon + 1) }];
  });
}

export async function seedSaslUsers(path: string, metadata: MetadataService, logger: Logger): Promise<void> {
  const users = readSaslUsers(path);
  const records: MetadataRecord[] = [];
  for (const { user, password } of users) {
    for (const mechanism of scramMechanisms) {
      if (metadata.state.scramCredential(user, mechanism) !== undefined) continue;
      records.push({
        type: "scram-credential",
        ...(await credentialFromPassword(user, mechanism, password)),
      });
    }
  }
  if (records.length === 0) return;
  // Planned against the state when its turn comes: a credential another node seeded meanwhile is kept.
  const result = await metadata.execute((state) => ({
    ok: true,
    records: records.filter(
      (record) =>
        record.type !== "scram-credential" ||
        state.scramCredential(record.user, record.mechanism) === undefined,
    ),
  }));
  if (!result.ok) throw new StartupRefusal(`--sasl-users: ${result.message}`);
  logger.info("seeded SASL users", { users: users.map((entry) => entry.user), credentials: records.length });
}
