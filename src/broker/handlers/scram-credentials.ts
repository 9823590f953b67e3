// DescribeUserScramCredentials (50) and AlterUserScramCredentials (51), KIP-554: SCRAM credentials live in the
// metadata log (salt, iterations, StoredKey, ServerKey — the client sends the salted password, never the
// password). Errors per user as Kafka's: a user named twice DUPLICATE_RESOURCE, an unknown mechanism
// UNSUPPORTED_SASL_MECHANISM, iterations out of 4096–16384 or an empty name UNACCEPTABLE_CREDENTIAL, a
// missing user or credential RESOURCE_NOT_FOUND.

import type { MetadataRecord, ScramMechanism } from "../../cluster/metadata/metadata-records.ts";
import type { MetadataState } from "../../cluster/metadata/metadata-state.ts";
import { ErrorCode } from "../../protocol/error-codes.ts";
import {
  createAlterUserScramCredentialsResponse,
  createAlterUserScramCredentialsResponseAlterUserScramCredentialsResult,
} from "../../protocol/messages/alter-user-scram-credentials.ts";
import {
  createDescribeUserScramCredentialsResponse,
  createDescribeUserScramCredentialsResponseCredentialInfo,
  createDescribeUserScramCredentialsResponseDescribeUserScramCredentialsResult,
} from "../../protocol/messages/describe-user-scram-credentials.ts";
import { ApiKey } from "../../protocol/messages/registry.ts";
import { defineHandler } from "../api-handler.ts";
import type { BrokerContext } from "../broker-context.ts";
import {
  credentialFromSaltedPassword,
  scramIterationsMax,
  scramIterationsMin,
} from "../sasl/scram-crypto.ts";

/** Kafka's ScramMechanism type bytes. */
const mechanismByType = new Map<number, ScramMechanism>([
  [1, "SCRAM-SHA-256"],
  [2, "SCRAM-SHA-512"],
]);
const typeByMechanism = new Map([...mechanismByType].map(([type, mechanism]) => [mechanism, type]));

type UserError = { errorCode: number; errorMessage: string };

function describeUser(state: MetadataState, name: string) {
  const credentials = state.scramUsers().get(name);
  if (credentials === undefined) {
    return {
      errorCode: ErrorCode.ResourceNotFound,
      errorMessage: `Attempt to describe a user credential that does not exist: ${name}`,
      credentialInfos: [],
    };
  }
  const credentialInfos = [...credentials.values()].map((credential) => ({
    ...createDescribeUserScramCredentialsResponseCredentialInfo(),
    mechanism: typeByMechanism.get(credential.mechanism)!,
    iterations: credential.iterations,
  }));
  return { errorCode: 0, errorMessage: null, credentialInfos };
}

export function describeUserScramCredentialsHandler(context: BrokerContext) {
  return defineHandler({
    apiKey: ApiKey.DescribeUserScramCredentials,
    minVersion: 0,
    maxVersion: 0,
    handle(request) {
      const state = context.metadata.state;
      const names = request.users?.map((user) => user.name) ?? [...state.scramUsers().keys()];
      const counts = new Map<string, number>();
      for (const name of names) counts.set(name, (counts.get(name) ?? 0) + 1);
      const results = [...new Set(names)].map((name) => ({
        ...createDescribeUserScramCredentialsResponseDescribeUserScramCredentialsResult(),
        user: name,
        ...(counts.get(name)! > 1
          ? {
              errorCode: ErrorCode.DuplicateResource,
              errorMessage: `Cannot describe SCRAM credentials for the same user twice in a single request: ${name}`,
              credentialInfos: [],
            }
          : describeUser(state, name)),
      }));
      return { ...createDescribeUserScramCredentialsResponse(), results };
    },
  });
}

/** A request's problem with one alteration, before the state is consulted. */
function alterationError(name: string, mechanismType: number, iterations: number | null): UserError | null {
  if (name === "")
    return { errorCode: ErrorCode.UnacceptableCredential, errorMessage: "Username must not be empty" };
  if (!mechanismByType.has(mechanismType)) {
    return { errorCode: ErrorCode.UnsupportedSaslMechanism, errorMessage: "Unknown SCRAM mechanism" };
  }
  if (iterations !== null && (iterations < scramIterationsMin || iterations > scramIterationsMax)) {
    return {
      errorCode: ErrorCode.UnacceptableCredential,
      errorMessage: `Iterations ${iterations} not in [${scramIterationsMin}, ${scramIterationsMax}]`,
    };
  }
  return null;
}

export function alterUserScramCredentialsHandler(context: BrokerContext) {
  return defineHandler({
    apiKey: ApiKey.AlterUserScramCredentials,
    minVersion: 0,
    maxVersion: 0,
    async handle(request) {
      const errors = new Map<string, UserError>();
      const seen = new Map<string, number>();
      const alterations = [
        ...request.deletions.map((deletion) => ({ ...deletion, iterations: null, upsertion: null })),
        ...request.upsertions.map((upsertion) => ({ ...upsertion, upsertion })),
      ];
      for (const { name, mechanism } of alterations) {
        const key = `${name}\0${mechanism}`;
        seen.set(key, (seen.get(key) ?? 0) + 1);
      }
      for (const { name, mechanism, iterations } of alterations) {
        const error =
          seen.get(`${name}\0${mechanism}`)! > 1
            ? {
                errorCode: ErrorCode.DuplicateResource,
                errorMessage: "A user credential cannot be altered twice in the same request",
              }
            : alterationError(name, mechanism, iterations);
        if (error !== null && !errors.has(name)) errors.set(name, error);
      }
      const valid = alterations.filter((alteration) => !errors.has(alteration.name));
      const records = valid.flatMap(({ name, mechanism, upsertion }): MetadataRecord[] => {
        const scram = mechanismByType.get(mechanism)!;
        if (upsertion === null) return [{ type: "remove-scram-credential", user: name, mechanism: scram }];
        const credential = credentialFromSaltedPassword({
          user: name,
          mechanism: scram,
          salt: upsertion.salt,
          saltedPassword: upsertion.saltedPassword,
          iterations: upsertion.iterations,
        });
        return [{ type: "scram-credential", ...credential }];
      });
      let missing = new Set<string>();
      if (records.length > 0) {
        const result = await context.metadata.execute((state) => {
          missing = new Set(
            records.flatMap((record) =>
              record.type === "remove-scram-credential" &&
              state.scramCredential(record.user, record.mechanism) === undefined
                ? [record.user]
                : [],
            ),
          );
          return {
            ok: true,
            records: records.filter((record) => !missing.has((record as { user: string }).user)),
          };
        });
        if (!result.ok) throw new Error(`SCRAM credential change refused: ${result.message}`);
      }
      for (const name of missing) {
        errors.set(name, {
          errorCode: ErrorCode.ResourceNotFound,
          errorMessage: "Attempt to delete a user credential that does not exist",
        });
      }
      const results = [...new Set(alterations.map((alteration) => alteration.name))].map((user) => ({
        ...createAlterUserScramCredentialsResponseAlterUserScramCredentialsResult(),
        user,
        errorCode: errors.get(user)?.errorCode ?? 0,
        errorMessage: errors.get(user)?.errorMessage ?? null,
      }));
      return { ...createAlterUserScramCredentialsResponse(), results };
    },
  });
}
