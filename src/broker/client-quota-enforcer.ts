// Enforces client quotas as Kafka's ClientQuotaManager and ClientRequestQuotaManager do: each request's usage
// (Produce request bytes, Fetch response bytes, request handling time as a percentage of one thread) is recorded
// in a rate over quota.window.num samples of quota.window.size.seconds; past the quota, the throttle time is the
// excess over the quota times the rate's window, which the response carries (throttleTimeMs) and for which the
// connection is then muted (KIP-219). Usage is counted per quota entity, so only clients over their own quota slow.

import type { Clock } from "../base/clock.ts";
import { appliedQuota } from "../cluster/client-quotas.ts";
import type { MetadataState } from "../cluster/metadata/metadata-state.ts";
import { ApiKey } from "../protocol/messages/registry.ts";

/** Kafka's quota.window.num default: the samples a rate is measured over. */
export const quotaWindowSamples = 11;
/** Kafka's quota.window.size.seconds default, in ms: each sample's span. */
export const quotaSampleMs = 1000;
/** Rates not recorded to for this long are dropped (Kafka expires idle quota sensors after an hour). */
const idleRateExpiryMs = 3_600_000;
/** The most distinct rates kept; the oldest idle ones go first. A bound on memory whatever clients do. */
const ratesMax = 100_000;

/** A rate over a window of samples, measured as Kafka's Rate (SampledStat) measures it. */
class SampledRate {
  private readonly starts: number[] = [];
  private readonly values: number[] = [];
  lastRecordMs = 0;

  record(value: number, nowMs: number): void {
    this.lastRecordMs = nowMs;
    this.expire(nowMs);
    const last = this.starts.length - 1;
    if (last >= 0 && nowMs < this.starts[last]! + quotaSampleMs) this.values[last]! += value;
    else {
      this.starts.push(nowMs);
      this.values.push(value);
    }
  }

  /** The rate per second, and the window (ms) it is measured over. */
  measure(nowMs: number): { perSecond: number; windowMs: number } {
    this.expire(nowMs);
    const total = this.values.reduce((sum, value) => sum + value, 0);
    // Kafka's Rate.windowSize: the time since the oldest sample began, but never less than all samples but one
    // (so a new client's first burst is spread over the window rather than measured over a few milliseconds).
    const elapsedMs = this.starts.length === 0 ? 0 : nowMs - this.starts[0]!;
    const windowMs = Math.max(elapsedMs, (quotaWindowSamples - 1) * quotaSampleMs);
    return { perSecond: (total * 1000) / windowMs, windowMs };
  }

  private expire(nowMs: number): void {
    while (this.starts.length > 0 && this.starts[0]! + quotaWindowSamples * quotaSampleMs <= nowMs) {
      this.starts.shift();
      this.values.shift();
    }
  }
}

/**
 * The most bytes one Fetch may return to a consumer under a consumer_byte_rate quota (Kafka's
 * getMaxValueInQuotaWindow: the quota times the window less one sample), so one response cannot hold many seconds
 * of quota and earn a throttle as long; unbounded when no quota applies.
 */
export function consumerFetchBytesMax(state: MetadataState, principal: string, clientId: string): number {
  if (state.clientQuotas().next().done) return Number.MAX_SAFE_INTEGER;
  const user = principal.startsWith("User:") ? principal.slice("User:".length) : principal;
  const quota = appliedQuota(state, "consumer_byte_rate", user, clientId);
  if (quota === null) return Number.MAX_SAFE_INTEGER;
  return Math.max(1, Math.floor(quota.limit * (quotaWindowSamples - 1) * (quotaSampleMs / 1000)));
}

export interface QuotaUsage {
  apiKey: number;
  principal: string;
  clientId: string;
  requestBytes: number;
  /** Encoded response bytes (0 when there is no response). */
  responseBytes: number;
  /** Time spent handling the request on the event loop, in ms. */
  handlerMs: number;
}

export class ClientQuotaEnforcer {
  private readonly rates = new Map<string, SampledRate>();

  constructor(private readonly options: { clock: Clock; state: () => MetadataState }) {}

  /** Records a request's usage against every quota that applies; returns the throttle time in ms (0: none). */
  record(usage: QuotaUsage): number {
    const state = this.options.state();
    // The common case, no quota anywhere, costs one look: no entity matching on the request path.
    if (state.clientQuotas().next().done) return 0;
    const user = usage.principal.startsWith("User:")
      ? usage.principal.slice("User:".length)
      : usage.principal;
    const nowMs = this.options.clock.monotonicMs();
    let throttleMs = 0;
    const charge = (quota: string, value: number) => {
      const applied = appliedQuota(state, quota, user, usage.clientId);
      if (applied === null) return;
      throttleMs = Math.max(
        throttleMs,
        this.chargeRate(`${quota}\u0000${applied.sensorKey}`, value, applied.limit, nowMs),
      );
    };
    if (usage.apiKey === ApiKey.Produce) charge("producer_byte_rate", usage.requestBytes);
    if (usage.apiKey === ApiKey.Fetch) charge("consumer_byte_rate", usage.responseBytes);
    // request_percentage counts a percentage of one thread's second: 1 ms of handling is 0.1 (percent·seconds).
    charge("request_percentage", usage.handlerMs / 10);
    return throttleMs;
  }

  private chargeRate(key: string, value: number, limit: number, nowMs: number): number {
    let rate = this.rates.get(key);
    if (rate === undefined) {
      this.evictIdle(nowMs);
      rate = new SampledRate();
      this.rates.set(key, rate);
    }
    rate.record(value, nowMs);
    const { perSecond, windowMs } = rate.measure(nowMs);
    if (perSecond <= limit) return 0;
    // ClientQuotaManager.throttleTime: (measured - bound) / bound * window.
    return Math.round(((perSecond - limit) / limit) * windowMs);
  }

  private evictIdle(nowMs: number): void {
    if (this.rates.size < ratesMax) {
      for (const [key, rate] of this.rates)
        if (nowMs - rate.lastRecordMs > idleRateExpiryMs) this.rates.delete(key);
      return;
    }
    // Map order is insertion order: the first entries are the oldest rates.
    const first = this.rates.keys().next();
    if (!first.done) this.rates.delete(first.value);
  }
}
