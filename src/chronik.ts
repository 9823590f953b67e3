#!/usr/bin/env bun

// chronik: the admin command-line tool, over a node's Connect admin API (src/admin-cli/).

import { flushed, processIo } from "./admin-cli/process-io.ts";
import { runChronik } from "./admin-cli/run.ts";
import { chronikVersion } from "./app/version.ts";

// A reader that went away (chronik consume … | head) is no failure.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(0);
  throw error;
});

const code = await runChronik(process.argv.slice(2), process.env, processIo(), chronikVersion);
await flushed();
process.exit(code);
