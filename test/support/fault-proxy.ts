// A fault-injecting TCP proxy (no root needed): forwards connections from its own loopback port to a target port,
// and can be cut (bytes dropped in both directions, as a network partition drops packets), delayed, and healed.
// Put one in front of each peer's Raft port per direction (node A reaches node B through proxy A→B), and a cut of
// A→B alone is a one-way partition: A's calls never reach B while B's calls to A and their answers still flow.

import type { Socket, TCPSocketListener } from "bun";

interface Pipe {
  /** The socket the proxy accepted, from the client. */
  readonly client: Socket<Pipe>;
  /** The socket to the target, once connected. */
  upstream: Socket<Pipe> | undefined;
  /** Bytes from the client held until the upstream connects. */
  early: Uint8Array[];
  /** Unwritten bytes per direction (backpressure): flushed on drain. */
  readonly toUpstream: Uint8Array[];
  readonly toClient: Uint8Array[];
  /** Set by a cut: this connection's stream lost bytes, so it is closed on heal and never forwards again. */
  blackholed: boolean;
  closed: boolean;
  /** Delayed chunks per direction, in arrival order: one timer drains each, so none overtakes another. */
  readonly delayed: { up: Delayed[]; down: Delayed[] };
}

interface Delayed {
  readonly dueAt: number;
  readonly send: () => void;
}

export class FaultProxy {
  private cutNow = false;
  private delayMs = 0;
  private readonly pipes = new Set<Pipe>();
  /** Bytes dropped by cuts, both directions. */
  droppedBytes = 0;

  private constructor(
    private readonly listener: TCPSocketListener<Pipe>,
    readonly targetPort: number,
  ) {}

  get port(): number {
    return this.listener.port;
  }

  static start(targetPort: number): FaultProxy {
    // The listener's handlers need the proxy, and the proxy the listener: bind through this variable.
    let proxy: FaultProxy | undefined;
    const listener = Bun.listen<Pipe>({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        open(client) {
          proxy!.accept(client);
        },
        data(client, bytes) {
          proxy!.fromClient(client.data, bytes);
        },
        drain(client) {
          flush(client, client.data.toClient);
        },
        close(client) {
          proxy!.closePipe(client.data);
        },
        error(client) {
          proxy!.closePipe(client.data);
        },
      },
    });
    proxy = new FaultProxy(listener, targetPort);
    return proxy;
  }

  /** Drops every byte from now on, both ways, on open connections and new ones, until heal(). */
  cut(): void {
    this.cutNow = true;
    for (const pipe of this.pipes) pipe.blackholed = true;
  }

  /** Forwards again; connections that lost bytes to the cut are closed so their clients reconnect. */
  heal(): void {
    this.cutNow = false;
    this.delayMs = 0;
    for (const pipe of [...this.pipes]) if (pipe.blackholed) this.closePipe(pipe);
  }

  /** Holds every chunk for `ms` before forwarding it (order kept); 0 forwards at once. */
  delay(ms: number): void {
    this.delayMs = ms;
  }

  get isCut(): boolean {
    return this.cutNow;
  }

  close(): void {
    this.listener.stop(true);
    for (const pipe of [...this.pipes]) this.closePipe(pipe);
  }

  private accept(client: Socket<Pipe>): void {
    const pipe: Pipe = {
      client,
      upstream: undefined,
      early: [],
      toUpstream: [],
      toClient: [],
      blackholed: this.cutNow,
      closed: false,
      delayed: { up: [], down: [] },
    };
    client.data = pipe;
    this.pipes.add(pipe);
    if (pipe.blackholed) return; // a partition: the connection opens (the SYN got through) and nothing flows
    Bun.connect<Pipe>({
      hostname: "127.0.0.1",
      port: this.targetPort,
      data: pipe,
      socket: {
        open: (upstream) => {
          if (pipe.closed) {
            upstream.end();
            return;
          }
          pipe.upstream = upstream;
          for (const bytes of pipe.early) this.forward(pipe, "up", bytes);
          pipe.early = [];
        },
        data: (_upstream, bytes) => this.forward(pipe, "down", bytes),
        drain: (upstream) => flush(upstream, pipe.toUpstream),
        close: () => this.closePipe(pipe),
        error: () => this.closePipe(pipe),
      },
    }).catch(() => this.closePipe(pipe));
  }

  private fromClient(pipe: Pipe, bytes: Uint8Array): void {
    if (pipe.upstream === undefined && !pipe.blackholed) {
      pipe.early.push(new Uint8Array(bytes));
      return;
    }
    this.forward(pipe, "up", bytes);
  }

  private forward(pipe: Pipe, direction: "up" | "down", bytes: Uint8Array): void {
    if (pipe.blackholed || pipe.closed) {
      this.droppedBytes += bytes.length;
      return;
    }
    const copy = new Uint8Array(bytes); // Bun reuses the buffer it hands to data()
    const send = (): void => {
      if (pipe.blackholed || pipe.closed) {
        this.droppedBytes += copy.length;
        return;
      }
      if (direction === "up") write(pipe.upstream!, pipe.toUpstream, copy);
      else write(pipe.client, pipe.toClient, copy);
    };
    const queue = pipe.delayed[direction];
    if (this.delayMs === 0 && queue.length === 0) {
      send();
      return;
    }
    queue.push({ dueAt: performance.now() + this.delayMs, send });
    if (queue.length === 1) drainLater(queue);
  }

  private closePipe(pipe: Pipe): void {
    if (pipe.closed) return;
    pipe.closed = true;
    this.pipes.delete(pipe);
    pipe.client.end();
    pipe.upstream?.end();
  }
}

/** Sends the queue's due chunks in order, then waits for the next one's time. */
function drainLater(queue: Delayed[]): void {
  const head = queue[0];
  if (head === undefined) return;
  setTimeout(
    () => {
      while (queue.length > 0 && queue[0]!.dueAt <= performance.now() + 1) queue.shift()!.send();
      drainLater(queue);
    },
    Math.max(0, head.dueAt - performance.now()),
  );
}

function write(socket: Socket<Pipe>, queue: Uint8Array[], bytes: Uint8Array): void {
  if (queue.length > 0) {
    queue.push(bytes);
    return;
  }
  const written = socket.write(bytes);
  if (written < bytes.length) queue.push(bytes.subarray(Math.max(0, written)));
}

function flush(socket: Socket<Pipe>, queue: Uint8Array[]): void {
  while (queue.length > 0) {
    const bytes = queue[0]!;
    const written = socket.write(bytes);
    if (written < bytes.length) {
      queue[0] = bytes.subarray(Math.max(0, written));
      return;
    }
    queue.shift();
  }
}
