// The server side of one SCRAM exchange (RFC 5802): client-first → server-first (salt, iterations, nonce) →
// client-final with the proof → server-final with the server's signature. No channel binding (Kafka offers
// none: a client asking for it with "p=" is refused). An unknown user gets a made-up salt and fails at the
// proof, as a wrong password does, so the exchange does not tell who exists.

import type { ScramCredential, ScramMechanism } from "../../cluster/metadata/metadata-records.ts";
import {
  constantTimeEqual,
  hash,
  hashBytes,
  hmac,
  randomNonce,
  scramIterationsDefault,
} from "./scram-crypto.ts";

export type SaslStep =
  | { kind: "challenge"; bytes: Uint8Array }
  | { kind: "success"; bytes: Uint8Array; user: string }
  | { kind: "failure"; reason: string };

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });
/** What a client's message may be: a proof and nonces fit in far less; more is garbage. */
const scramMessageBytesMax = 4096;

/** Decodes a SCRAM saslname: "=2C" is ",", "=3D" is "=", any other "=" is malformed. */
function decodeSaslName(text: string): string | null {
  if (/=(?!2C|3D)/.test(text)) return null;
  return text.replaceAll("=2C", ",").replaceAll("=3D", "=");
}

function attributes(message: string): Map<string, string> | null {
  const map = new Map<string, string>();
  for (const part of message.split(",")) {
    if (part.length < 2 || part[1] !== "=") return null;
    map.set(part[0]!, part.slice(2));
  }
  return map;
}

function text(bytes: Uint8Array): string | null {
  if (bytes.length === 0 || bytes.length > scramMessageBytesMax) return null;
  try {
    return decoder.decode(bytes);
  } catch {
    return null;
  }
}

export class ScramServerExchange {
  #state: "first" | "final" | "done" = "first";
  #user = "";
  #credential: ScramCredential | undefined;
  #gs2Header = "";
  #clientFirstBare = "";
  #serverFirst = "";
  #nonce = "";

  constructor(
    readonly mechanism: ScramMechanism,
    private readonly credentials: (user: string) => ScramCredential | undefined,
    /** A per-process secret: unknown users get a stable made-up salt from it. */
    private readonly decoySecret: Uint8Array,
  ) {}

  step(bytes: Uint8Array): SaslStep {
    const message = text(bytes);
    if (message === null) return this.#fail("not a SCRAM message");
    if (this.#state === "first") return this.#first(message);
    if (this.#state === "final") return this.#final(message);
    return this.#fail("the exchange is over");
  }

  #fail(reason: string): SaslStep {
    this.#state = "done";
    return { kind: "failure", reason };
  }

  #first(message: string): SaslStep {
    // gs2-header: cbind-flag "," [authzid] ","; then client-first-message-bare.
    const first = message.indexOf(",");
    const second = first < 0 ? -1 : message.indexOf(",", first + 1);
    if (second < 0) return this.#fail("malformed client-first message");
    const flag = message.slice(0, first);
    const authzid = message.slice(first + 1, second);
    if (flag !== "n" && flag !== "y") return this.#fail("channel binding is not supported");
    this.#gs2Header = message.slice(0, second + 1);
    this.#clientFirstBare = message.slice(second + 1);
    const fields = attributes(this.#clientFirstBare);
    const name = fields?.get("n");
    const clientNonce = fields?.get("r");
    if (fields === null || name === undefined || !clientNonce || fields.has("m")) {
      return this.#fail("malformed client-first message");
    }
    const user = decodeSaslName(name);
    if (user === null || user === "") return this.#fail("malformed user name");
    if (authzid !== "" && decodeSaslName(authzid.replace(/^a=/, "")) !== user) {
      return this.#fail("authorization id differs from the user name");
    }
    this.#user = user;
    this.#credential = this.credentials(user);
    const salt = this.#credential?.salt ?? this.#decoySalt(user);
    const iterations = this.#credential?.iterations ?? scramIterationsDefault;
    this.#nonce = clientNonce + randomNonce();
    this.#serverFirst = `r=${this.#nonce},s=${salt},i=${iterations}`;
    this.#state = "final";
    return { kind: "challenge", bytes: encoder.encode(this.#serverFirst) };
  }

  #final(message: string): SaslStep {
    const proofAt = message.lastIndexOf(",p=");
    const fields = proofAt < 0 ? null : attributes(message);
    if (fields === null) return this.#fail("malformed client-final message");
    if (fields.get("c") !== Buffer.from(this.#gs2Header).toString("base64")) {
      return this.#fail("channel binding does not match");
    }
    // Kafka's ScramSaslServer checks only that the nonce ends with the server-first one, and librdkafka 2.0
    // relies on it: it sends its own nonce before the combined one.
    if (!fields.get("r")?.endsWith(this.#nonce)) return this.#fail("nonce does not match");
    const proof = Buffer.from(fields.get("p") ?? "", "base64");
    const credential = this.#credential;
    const withoutProof = message.slice(0, proofAt);
    const authMessage = `${this.#clientFirstBare},${this.#serverFirst},${withoutProof}`;
    this.#state = "done";
    if (credential === undefined || proof.length !== hashBytes(this.mechanism)) {
      return { kind: "failure", reason: "invalid credentials" };
    }
    const storedKey = Buffer.from(credential.storedKey, "base64");
    const clientSignature = hmac(this.mechanism, storedKey, authMessage);
    const clientKey = proof.map((byte, index) => byte ^ clientSignature[index]!);
    if (!constantTimeEqual(hash(this.mechanism, clientKey), storedKey)) {
      return { kind: "failure", reason: "invalid credentials" };
    }
    const serverSignature = hmac(this.mechanism, Buffer.from(credential.serverKey, "base64"), authMessage);
    return {
      kind: "success",
      bytes: encoder.encode(`v=${serverSignature.toString("base64")}`),
      user: this.#user,
    };
  }

  #decoySalt(user: string): string {
    return hmac(this.mechanism, this.decoySecret, user).subarray(0, 32).toString("base64");
  }
}
