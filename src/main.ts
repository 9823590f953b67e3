#!/usr/bin/env bun
// chronik-server entry point. The broker is being built issue by issue; until the Kafka listener exists this
// says what is there rather than pretending to serve.

console.error(
  "chronik-server: the Kafka broker is not built yet (see the open issues). " +
    "What exists today: the Kafka protocol codec, record batches and storage modules, and their tests (npm test).",
);
process.exit(2);
