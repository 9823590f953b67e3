// The SCRAM arithmetic of RFC 5802 (SCRAM-SHA-256 and SCRAM-SHA-512, RFC 7677), as Kafka's ScramFormatter
// does it: SaltedPassword = Hi(password, salt, i) (PBKDF2-HMAC), ClientKey = HMAC(SaltedPassword, "Client
// Key"), StoredKey = H(ClientKey), ServerKey = HMAC(SaltedPassword, "Server Key"). Only StoredKey and
// ServerKey are kept; every comparison of secrets is constant-time.

import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from "node:crypto";
import type { ScramCredential, ScramMechanism } from "../../cluster/metadata/metadata-records.ts";

export const scramMechanisms: readonly ScramMechanism[] = ["SCRAM-SHA-256", "SCRAM-SHA-512"];

/** Kafka's bounds on a credential's iteration count (ScramMechanism.minIterations, maxIterations). */
export const scramIterationsMin = 4096;
export const scramIterationsMax = 16384;
/** What start-up seeding uses: Kafka's default for kafka-configs --add-config SCRAM-SHA-*=[password=…]. */
export const scramIterationsDefault = 4096;
const saltBytes = 32;

const hashOf = (mechanism: ScramMechanism) => (mechanism === "SCRAM-SHA-256" ? "sha256" : "sha512");
export const hashBytes = (mechanism: ScramMechanism) => (mechanism === "SCRAM-SHA-256" ? 32 : 64);

export function hmac(mechanism: ScramMechanism, key: Uint8Array, data: Uint8Array | string): Buffer {
  return createHmac(hashOf(mechanism), key).update(data).digest();
}

export function hash(mechanism: ScramMechanism, data: Uint8Array): Buffer {
  return createHash(hashOf(mechanism)).update(data).digest();
}

/** Hi(password, salt, iterations), on the thread pool: 4096 rounds of SHA-512 take milliseconds. */
export function saltPassword(
  mechanism: ScramMechanism,
  password: string,
  salt: Uint8Array,
  iterations: number,
): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    pbkdf2(password, salt, iterations, hashBytes(mechanism), hashOf(mechanism), (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  );
}

/** The credential a salted password makes (what AlterUserScramCredentials sends, and seeding computes). */
export function credentialFromSaltedPassword(options: {
  user: string;
  mechanism: ScramMechanism;
  salt: Uint8Array;
  saltedPassword: Uint8Array;
  iterations: number;
}): ScramCredential {
  const { mechanism, saltedPassword } = options;
  const clientKey = hmac(mechanism, saltedPassword, "Client Key");
  return {
    user: options.user,
    mechanism,
    salt: Buffer.from(options.salt).toString("base64"),
    storedKey: hash(mechanism, clientKey).toString("base64"),
    serverKey: hmac(mechanism, saltedPassword, "Server Key").toString("base64"),
    iterations: options.iterations,
  };
}

export async function credentialFromPassword(
  user: string,
  mechanism: ScramMechanism,
  password: string,
  iterations = scramIterationsDefault,
): Promise<ScramCredential> {
  const salt = randomBytes(saltBytes);
  const saltedPassword = await saltPassword(mechanism, password, salt, iterations);
  return credentialFromSaltedPassword({ user, mechanism, salt, saltedPassword, iterations });
}

/** Whether `password` is the one `credential` was made from (SASL/PLAIN against a stored SCRAM credential). */
export async function passwordMatches(credential: ScramCredential, password: string): Promise<boolean> {
  const salt = Buffer.from(credential.salt, "base64");
  const saltedPassword = await saltPassword(credential.mechanism, password, salt, credential.iterations);
  const storedKey = hash(credential.mechanism, hmac(credential.mechanism, saltedPassword, "Client Key"));
  return constantTimeEqual(storedKey, Buffer.from(credential.storedKey, "base64"));
}

/** Equal bytes, compared in time that depends only on the length. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

export function randomNonce(): string {
  return randomBytes(24).toString("base64url");
}
