// Kafka listener pipeline vs a raw Bun.listen echo, over loopback, in one run: small request round trips
// per second with 1 and 100 in flight, and MB/s with 1 MiB frames. The server runs on the main thread and
// the load generator in a Worker, so each has its own event loop (this machine has 2 cores).
//
//   node_modules/.bin/bun bench/loopback.bench.ts [secondsPerRun=1] [repeats=3]

import { exitOnBug } from "../src/app/exit-on-bug.ts";
import { systemClock, systemScheduler } from "../src/app/system-time.ts";
import type { Dispatcher } from "../src/broker/dispatcher.ts";
import { startListener } from "../src/broker/listener.ts";

declare const self: Worker;

type Job = { port: number; frameBytes: number; inflight: number; seconds: number };
type JobResult = { responses: number; seconds: number };

// ---------------------------------------------------------------- load generator (worker thread)

function requestFrame(frameBytes: number, correlationId: number): Uint8Array {
  const out = new Uint8Array(frameBytes);
  const view = new DataView(out.buffer);
  view.setInt32(0, frameBytes - 4);
  view.setInt16(4, 18);
  view.setInt16(6, 3);
  view.setInt32(8, correlationId);
  return out;
}

async function runJob(job: Job): Promise<JobResult> {
  const frame = requestFrame(job.frameBytes, 1);
  const batch = new Uint8Array(job.frameBytes * job.inflight);
  for (let i = 0; i < job.inflight; i++) batch.set(frame, i * job.frameBytes);
  let responses = 0;
  let frameRemaining = -1;
  const sizeBytes = new Uint8Array(4);
  let sizeFilled = 0;
  const unsent: Uint8Array[] = [];
  let stopped = false;

  const send = (socket: Bun.Socket<undefined>, bytes: Uint8Array) => {
    if (unsent.length > 0) return void unsent.push(bytes);
    const written = Math.max(0, socket.write(bytes));
    if (written < bytes.length) unsent.push(bytes.subarray(written));
  };
  const socket = await Bun.connect({
    hostname: "127.0.0.1",
    port: job.port,
    socket: {
      binaryType: "uint8array",
      data(socket, chunk) {
        let completed = 0;
        let at = 0;
        while (at < chunk.length) {
          if (frameRemaining < 0 && sizeFilled === 0 && chunk.length - at >= 4) {
            frameRemaining =
              (chunk[at]! << 24) | (chunk[at + 1]! << 16) | (chunk[at + 2]! << 8) | chunk[at + 3]!;
            at += 4;
          } else if (frameRemaining < 0) {
            const take = Math.min(4 - sizeFilled, chunk.length - at);
            sizeBytes.set(chunk.subarray(at, at + take), sizeFilled);
            sizeFilled += take;
            at += take;
            if (sizeFilled < 4) break;
            frameRemaining = new DataView(sizeBytes.buffer).getInt32(0);
            sizeFilled = 0;
          }
          const take = Math.min(frameRemaining, chunk.length - at);
          frameRemaining -= take;
          at += take;
          if (frameRemaining === 0) {
            frameRemaining = -1;
            completed += 1;
          }
        }
        responses += completed;
        if (completed === 0 || stopped) return;
        send(socket, completed === job.inflight ? batch : batch.subarray(0, completed * job.frameBytes));
      },
      drain(socket) {
        while (unsent.length > 0) {
          const bytes = unsent[0]!;
          const written = Math.max(0, socket.write(bytes));
          if (written < bytes.length) {
            unsent[0] = bytes.subarray(written);
            return;
          }
          unsent.shift();
        }
      },
    },
  });
  const startMs = performance.now();
  send(socket, batch);
  await Bun.sleep(job.seconds * 1000);
  const counted = responses;
  const seconds = (performance.now() - startMs) / 1000;
  stopped = true;
  socket.end();
  return { responses: counted, seconds };
}

// ---------------------------------------------------------------- servers (main thread)

function startRawEcho(): { port: number; stop: () => void } {
  const unsent = new Map<Bun.Socket<undefined>, Uint8Array[]>();
  const flush = (socket: Bun.Socket<undefined>, queue: Uint8Array[]) => {
    while (queue.length > 0) {
      const bytes = queue[0]!;
      const written = Math.max(0, socket.write(bytes));
      if (written < bytes.length) {
        queue[0] = bytes.subarray(written);
        return;
      }
      queue.shift();
    }
  };
  const server = Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      binaryType: "uint8array",
      open(socket) {
        unsent.set(socket, []);
      },
      data(socket, chunk) {
        const queue = unsent.get(socket)!;
        queue.push(chunk);
        if (queue.length === 1) flush(socket, queue);
      },
      drain(socket) {
        flush(socket, unsent.get(socket)!);
      },
      close(socket) {
        unsent.delete(socket);
      },
    },
  });
  return { port: server.port, stop: () => server.stop(true) };
}

const syncEcho: Dispatcher = { handle: (request) => request.frame };
const asyncEcho: Dispatcher = { handle: async (request) => request.frame };

function startPipeline(dispatcher: Dispatcher): { port: number; stop: () => void } {
  const silent = { debug() {}, info() {}, warn() {}, error() {} };
  const listener = startListener({
    hostname: "127.0.0.1",
    port: 0,
    dispatcher,
    logger: silent,
    clock: systemClock,
    scheduler: systemScheduler,
    onBug: exitOnBug(silent),
  });
  return { port: listener.port, stop: () => void listener.stop({ drainMs: 100 }) };
}

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 1);
  const repeats = Number(process.argv[3] ?? 3);
  const worker = new Worker(new URL(import.meta.url).href);
  const pending: Array<(result: JobResult) => void> = [];
  worker.onmessage = (event: MessageEvent<JobResult>) => pending.shift()?.(event.data);
  const run = (job: Job) =>
    new Promise<JobResult>((resolve) => {
      pending.push(resolve);
      worker.postMessage(job);
    });

  const small = 4 + 8 + 32;
  const mib = 1024 * 1024;
  const rows: Array<[string, () => { port: number; stop: () => void }, number, number]> = [
    ["raw Bun.listen echo (ceiling)", startRawEcho, small, 1],
    ["pipeline, sync echo dispatcher", () => startPipeline(syncEcho), small, 1],
    ["pipeline, async echo dispatcher", () => startPipeline(asyncEcho), small, 1],
    ["raw Bun.listen echo (ceiling)", startRawEcho, small, 100],
    ["pipeline, sync echo dispatcher", () => startPipeline(syncEcho), small, 100],
    ["pipeline, async echo dispatcher", () => startPipeline(asyncEcho), small, 100],
    ["raw Bun.listen echo (ceiling)", startRawEcho, mib, 8],
    ["pipeline, sync echo dispatcher", () => startPipeline(syncEcho), mib, 8],
    ["pipeline, async echo dispatcher", () => startPipeline(asyncEcho), mib, 8],
  ];
  // The machine is shared and noisy: each row is run `repeats` times, interleaved with the others so all
  // rows see the same background load, and the best and median runs are shown.
  const perSecondRuns: number[][] = rows.map(() => []);
  for (let repeat = 0; repeat < repeats; repeat++) {
    for (const [index, [, startServer, frameBytes, inflight]] of rows.entries()) {
      const server = startServer();
      const result = await run({ port: server.port, frameBytes, inflight, seconds });
      server.stop();
      perSecondRuns[index]!.push(result.responses / result.seconds);
    }
  }
  const table = rows.map(([name, , frameBytes, inflight], index) => {
    const sorted = perSecondRuns[index]!.toSorted((a, b) => b - a);
    const best = sorted[0]!;
    const median = sorted[Math.floor(sorted.length / 2)]!;
    return {
      server: name,
      "frame bytes": frameBytes,
      "in flight": inflight,
      "round trips/s best": Math.round(best),
      "round trips/s median": Math.round(median),
      "MB/s best": Number(((best * frameBytes) / 1e6).toFixed(1)),
    };
  });
  console.table(table);
  worker.terminate();
}

if (Bun.isMainThread) {
  await main();
} else {
  self.onmessage = async (event: MessageEvent<Job>) => {
    self.postMessage(await runJob(event.data));
  };
}
