// kcat as a test reads with it: a topic from its first offset to its end, one formatted line per message.

import { runClient } from "./in-process-broker.ts";

/**
 * Reads `topic` from the beginning and exits at its end (-e), printing `format` (kcat's -f, default the value)
 * per message; `timeout` turns an end that is never reached into a failure instead of a hung test.
 */
export async function kcatReadToEnd(bootstrap: string, topic: string, format = "%s\\n"): Promise<string[]> {
  const out = await runClient([
    ...["timeout", "20", "kcat", "-C", "-q", "-e", "-o", "beginning"],
    ...["-f", format, "-b", bootstrap, "-t", topic],
  ]);
  return out.split("\n").filter((line) => line !== "");
}
