// A guard puts Kafka's authorization checks in front of one API's handler without the handler knowing: it
// answers what the client may not do with the API's authorization error, passes the rest on, and merges the
// two answers (KafkaApis does the same split). Guards exist only when an authorizer is configured, so a
// broker without one runs exactly the handlers it always ran.

import type { ApiMessages } from "../../protocol/messages/registry.ts";
import type {
  AnyApiHandler,
  ApiHandler,
  ApiKeyNumber,
  HandlerResult,
  RequestContext,
} from "../api-handler.ts";
import type { BrokerContext } from "../broker-context.ts";
import { isCloseConnection } from "../dispatcher.ts";
import type { RequestAuthorizer } from "./request-authorizer.ts";

export type Request<K extends ApiKeyNumber> = ApiMessages[K]["request"];
export type Response<K extends ApiKeyNumber> = ApiMessages[K]["response"];
export type Answer<K extends ApiKeyNumber> = HandlerResult<K> | Promise<HandlerResult<K>>;

export type Guard<K extends ApiKeyNumber> = (
  request: Request<K>,
  context: RequestContext,
  next: (request: Request<K>) => Answer<K>,
) => Answer<K>;

/** What guards check against: the authorizer and the cluster metadata (to name topics given by id). */
export interface GuardDeps {
  authorizer: RequestAuthorizer;
  broker: BrokerContext;
}

export type GuardTable = { [K in ApiKeyNumber]?: Guard<K> };

/** Runs `edit` on the handler's response once it is there; "no response" and "close" pass untouched. */
export function afterResponse<K extends ApiKeyNumber>(
  answer: Answer<K>,
  edit: (response: Response<K>) => Response<K>,
): Answer<K> {
  const apply = (result: HandlerResult<K>): HandlerResult<K> =>
    result === null || isCloseConnection(result as never) ? result : edit(result as Response<K>);
  return answer instanceof Promise ? answer.then(apply) : apply(answer);
}

/** Splits items by whether `allowed` holds for each. */
export function partitionBy<T>(
  items: readonly T[],
  allowed: (item: T) => boolean,
): { allowed: T[]; denied: T[] } {
  const result = { allowed: [] as T[], denied: [] as T[] };
  for (const item of items) (allowed(item) ? result.allowed : result.denied).push(item);
  return result;
}

function guardHandler<K extends ApiKeyNumber>(handler: ApiHandler<K>, guard: Guard<K>): ApiHandler<K> {
  return {
    apiKey: handler.apiKey,
    minVersion: handler.minVersion,
    maxVersion: handler.maxVersion,
    handle: (request, context) => guard(request, context, (passed) => handler.handle(passed, context)),
  };
}

/** The handlers with the guards of `table` in front of those it names. */
export function guardHandlers(handlers: readonly AnyApiHandler[], table: GuardTable): AnyApiHandler[] {
  return handlers.map((handler) => {
    const guard = table[handler.apiKey] as Guard<typeof handler.apiKey> | undefined;
    return guard ? (guardHandler(handler as ApiHandler<never>, guard as never) as AnyApiHandler) : handler;
  });
}
