// A server-streaming Connect call for clients that speak plain JSON (curl, a browser's fetch without a Connect
// library): a POST with `content-type: application/json` and an unframed JSON body is passed to the Connect
// handler as `application/connect+json` with its envelope, and the answer comes back as newline-delimited JSON,
// one message per line, as it is produced. An error before the first message is answered the way a unary call's
// is (its HTTP status and {"code","message"}); one after it ends the stream with a line {"error":{…}}.

import { codeFromString, codeToHttpStatus } from "@connectrpc/connect/protocol-connect";

/** Connect's envelope: one flags byte, a four-byte big-endian length, then the message. */
const envelopeHeaderBytes = 5;
const endStreamFlag = 0b10;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

type FetchHandler = (request: Request) => Promise<Response>;

export function isUnaryJson(request: Request): boolean {
  const type = request.headers.get("content-type") ?? "";
  return /^application\/json(;|$)/i.test(type);
}

function envelope(body: Uint8Array): Uint8Array {
  const framed = new Uint8Array(envelopeHeaderBytes + body.length);
  new DataView(framed.buffer).setUint32(1, body.length);
  framed.set(body, envelopeHeaderBytes);
  return framed;
}

/** Yields each envelope of the stream as [flags, payload]. */
async function* envelopes(stream: ReadableStream<Uint8Array>): AsyncGenerator<[number, Uint8Array]> {
  let pending = new Uint8Array(0);
  for await (const chunk of stream) {
    const joined = new Uint8Array(pending.length + chunk.length);
    joined.set(pending);
    joined.set(chunk, pending.length);
    pending = joined;
    while (pending.length >= envelopeHeaderBytes) {
      const length = new DataView(pending.buffer, pending.byteOffset).getUint32(1);
      if (pending.length < envelopeHeaderBytes + length) break;
      yield [pending[0]!, pending.slice(envelopeHeaderBytes, envelopeHeaderBytes + length)];
      pending = pending.slice(envelopeHeaderBytes + length);
    }
  }
}

/** The end-stream message's error, if it carries one. */
function endStreamError(payload: Uint8Array): { code: string; message: string } | null {
  const parsed = JSON.parse(decoder.decode(payload)) as { error?: { code: string; message?: string } };
  return parsed.error ? { code: parsed.error.code, message: parsed.error.message ?? "" } : null;
}

export async function streamAsNdjson(
  request: Request,
  handler: FetchHandler,
  bodyBytesMax: number,
): Promise<Response> {
  const body = new Uint8Array(await request.arrayBuffer());
  if (body.length > bodyBytesMax) {
    return Response.json(
      { code: "resource_exhausted", message: `request larger than ${bodyBytesMax} bytes` },
      { status: 429 },
    );
  }
  const headers = new Headers(request.headers);
  headers.set("content-type", "application/connect+json");
  const response = await handler(
    new Request(request.url, { method: "POST", headers, body: envelope(body), signal: request.signal }),
  );
  if (response.status !== 200 || response.body === null) return response;
  const frames = envelopes(response.body);
  const first = await frames.next();
  if (first.done)
    return new Response("", { status: 200, headers: { "content-type": "application/x-ndjson" } });
  const [flags, payload] = first.value;
  if (flags & endStreamFlag) {
    const error = endStreamError(payload);
    if (error !== null) {
      const code = codeFromString(error.code);
      return Response.json(error, { status: code === undefined ? 500 : codeToHttpStatus(code) });
    }
  }
  const lines = new ReadableStream<Uint8Array>({
    async start(controller) {
      const emit = ([frameFlags, framePayload]: [number, Uint8Array]) => {
        if (!(frameFlags & endStreamFlag)) {
          controller.enqueue(framePayload);
          controller.enqueue(encoder.encode("\n"));
          return;
        }
        const error = endStreamError(framePayload);
        if (error !== null) controller.enqueue(encoder.encode(`${JSON.stringify({ error })}\n`));
      };
      try {
        emit(first.value);
        for await (const frame of frames) emit(frame);
        controller.close();
      } catch (error) {
        controller.error(error);
      }
    },
  });
  return new Response(lines, { status: 200, headers: { "content-type": "application/x-ndjson" } });
}
