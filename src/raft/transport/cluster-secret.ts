// The shared cluster secret (--cluster-secret): every call between peers carries it in a header, and the peer
// server refuses a call without it (UNAUTHENTICATED) before reading the body. Compared in constant time, over
// digests so the length does not show either.

import { createHash, timingSafeEqual } from "node:crypto";

export const clusterSecretHeader = "x-chronik-cluster-secret";

export function clusterSecretMatches(expected: string, given: string | null): boolean {
  if (given === null) return false;
  const digest = (text: string) => createHash("sha256").update(text).digest();
  return timingSafeEqual(digest(expected), digest(given));
}

/** The Connect "unauthenticated" answer to a call without the secret. */
export function unauthenticatedResponse(): Response {
  return new Response(
    JSON.stringify({ code: "unauthenticated", message: "missing or wrong cluster secret" }),
    {
      status: 401,
      headers: { "content-type": "application/json" },
    },
  );
}
