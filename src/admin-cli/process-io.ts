// The chronik process's streams as a CliIo: lines to stdout and stderr, progress rewritten in place on a
// terminal, and standard input read line by line.

import type { CliIo } from "./cli-context.ts";

async function* linesOf(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let pending = "";
  for await (const chunk of stream) {
    pending += decoder.decode(chunk, { stream: true });
    let newline = pending.indexOf("\n");
    while (newline !== -1) {
      yield pending.slice(0, newline).replace(/\r$/, "");
      pending = pending.slice(newline + 1);
      newline = pending.indexOf("\n");
    }
  }
  pending += decoder.decode();
  if (pending !== "") yield pending.replace(/\r$/, "");
}

export function processIo(): CliIo {
  let progressShown = false;
  const clearProgress = () => {
    if (progressShown) process.stderr.write("\r\x1b[K");
    progressShown = false;
  };
  return {
    out: (text) => {
      process.stdout.write(`${text}\n`);
    },
    err: (text) => {
      clearProgress();
      process.stderr.write(`${text}\n`);
    },
    progress: (text) => {
      clearProgress();
      if (text === "") return;
      process.stderr.write(text);
      progressShown = true;
    },
    stdinLines: () => linesOf(Bun.stdin.stream()),
    stderrIsTty: process.stderr.isTTY === true,
    wallMs: () => Date.now(),
  };
}

/** Resolves once everything written to stdout and stderr has been handed to the OS. */
export function flushed(): Promise<void> {
  const drain = (stream: NodeJS.WriteStream) =>
    new Promise<void>((resolve) => stream.write("", () => resolve()));
  return Promise.all([drain(process.stdout), drain(process.stderr)]).then(() => {});
}
