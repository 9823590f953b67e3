// RaftService.Deliver made with Bun's own fetch, speaking Connect's unary protocol over HTTP/1.1 by hand: the
// request envelope (ids, cluster id, and the length of the batch) is written here and the batch, already
// encoded, follows it unchanged. connect-node's client re-encodes the envelope with protobuf-es (a copy of the
// whole batch, another on growth) and node:http's writev joins the chunks (one more): on the replication path
// those copies were a fifth of a leader's CPU (bench/RESULTS.md). Errors come back as Connect's JSON error
// body and are raised as the ConnectError the client would have raised, so the sender's retry and refusal
// rules are the same.

import { Code, ConnectError } from "@connectrpc/connect";
import type { DeliverRequest } from "../../gen/chronik/raft/v1/raft_pb.ts";
import { RaftService } from "../../gen/chronik/raft/v1/raft_pb.ts";
import { delimitedSize, varintSize, WireWriter, wireLengthDelimited, wireVarint } from "./wire.ts";

const utf8 = new TextEncoder();
const deliverPath = `/${RaftService.typeName}/${RaftService.method.deliver.name}`;

/** Connect's error codes by their wire names ("permission_denied" → Code.PermissionDenied). */
const codesByName = new Map<string, Code>(
  Object.entries(Code)
    .filter((entry): entry is [string, Code] => typeof entry[1] === "number")
    .map(([name, code]) => [
      name.replace(/[A-Z]/g, (letter, at) => (at > 0 ? "_" : "") + letter.toLowerCase()),
      code,
    ]),
);

/** The envelope of a DeliverRequest up to, and including, the batch field's tag and length. */
export function deliverEnvelopeHead(
  request: Pick<DeliverRequest, "fromNodeId" | "toNodeId" | "clusterId">,
  batchBytes: number,
): Uint8Array {
  const clusterId = utf8.encode(request.clusterId);
  const size =
    (request.fromNodeId === 0 ? 0 : 1 + varintSize(request.fromNodeId)) +
    (request.toNodeId === 0 ? 0 : 1 + varintSize(request.toNodeId)) +
    (clusterId.byteLength === 0 ? 0 : delimitedSize(clusterId.byteLength)) +
    (batchBytes === 0 ? 0 : 1 + varintSize(batchBytes));
  const writer = new WireWriter(size);
  // proto3 leaves fields at their default out, as protobuf-es does: the bytes are the same as its encoding.
  if (request.fromNodeId !== 0) {
    writer.tag(1, wireVarint);
    writer.varint(request.fromNodeId);
  }
  if (request.toNodeId !== 0) {
    writer.tag(2, wireVarint);
    writer.varint(request.toNodeId);
  }
  if (clusterId.byteLength > 0) {
    writer.tag(3, wireLengthDelimited);
    writer.varint(clusterId.byteLength);
    writer.raw(clusterId);
  }
  if (batchBytes > 0) {
    writer.tag(4, wireLengthDelimited);
    writer.varint(batchBytes);
  }
  return writer.bytes;
}

/** A PeerSender `call` that delivers to the Raft server at `baseUrl` (e.g. "http://host:9192"). */
export function fetchDeliverCall(baseUrl: string, extraHeaders: Readonly<Record<string, string>> = {}) {
  const url = `${baseUrl}${deliverPath}`;
  return async (
    request: DeliverRequest,
    options: { signal: AbortSignal; timeoutMs: number },
  ): Promise<void> => {
    const head = deliverEnvelopeHead(request, request.batch.byteLength);
    let response: Response;
    try {
      response = await fetch(url, {
        method: "POST",
        headers: {
          "content-type": "application/proto",
          "connect-protocol-version": "1",
          "connect-timeout-ms": String(options.timeoutMs),
          ...extraHeaders,
        },
        body: new Blob([head, request.batch]),
        signal: AbortSignal.any([options.signal, AbortSignal.timeout(options.timeoutMs)]),
      });
    } catch (error) {
      const timedOut = error instanceof Error && error.name === "TimeoutError";
      throw new ConnectError(String(error), timedOut ? Code.DeadlineExceeded : Code.Unavailable);
    }
    if (response.ok) {
      await response.arrayBuffer();
      return;
    }
    throw connectErrorOf(response.status, await response.text());
  };
}

/** The ConnectError a Connect unary error response stands for (its JSON body, or the HTTP status alone). */
export function connectErrorOf(status: number, body: string): ConnectError {
  try {
    const parsed = JSON.parse(body) as { code?: unknown; message?: unknown };
    const code = typeof parsed.code === "string" ? codesByName.get(parsed.code) : undefined;
    if (code !== undefined) return new ConnectError(String(parsed.message ?? ""), code);
  } catch {
    // Not Connect's JSON: judged by the status below.
  }
  const byStatus =
    status === 404 ? Code.Unimplemented : status === 429 || status >= 500 ? Code.Unavailable : Code.Unknown;
  return new ConnectError(`HTTP ${status}: ${body.slice(0, 200)}`, byStatus);
}
