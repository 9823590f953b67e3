// Kafka's version ranges ("3+", "0-7", "5", "none") and the TypeScript conditions that test them.

export interface VersionRange {
  readonly min: number;
  /** Inclusive; Infinity for an open range ("3+"). */
  readonly max: number;
}

export function parseVersions(text: string | undefined): VersionRange | null {
  if (text === undefined || text === "none" || text === "") return null;
  if (text.endsWith("+")) return { min: Number(text.slice(0, -1)), max: Number.POSITIVE_INFINITY };
  const [low, high] = text.split("-");
  const min = Number(low);
  const max = high === undefined ? min : Number(high);
  if (!Number.isInteger(min) || !Number.isInteger(max)) throw new Error(`bad version range "${text}"`);
  return { min, max };
}

export function intersect(a: VersionRange | null, b: VersionRange | null): VersionRange | null {
  if (a === null || b === null) return null;
  const min = Math.max(a.min, b.min);
  const max = Math.min(a.max, b.max);
  return min <= max ? { min, max } : null;
}

/** The smallest range holding both. */
export function hull(a: VersionRange | null, b: VersionRange | null): VersionRange | null {
  if (a === null) return b;
  if (b === null) return a;
  return { min: Math.min(a.min, b.min), max: Math.max(a.max, b.max) };
}

export function contains(range: VersionRange | null, version: number): boolean {
  return range !== null && version >= range.min && version <= range.max;
}

/**
 * The condition on `version` for being inside `range`, knowing that `version` already lies in `context`:
 * "true" or "false" when the context decides it, so the generated code carries no needless checks.
 */
export function versionCondition(range: VersionRange | null, context: VersionRange): string {
  const inside = intersect(range, context);
  if (inside === null) return "false";
  const parts: string[] = [];
  if (inside.min > context.min) parts.push(`version >= ${inside.min}`);
  if (inside.max < context.max) parts.push(`version <= ${inside.max}`);
  return parts.length === 0 ? "true" : parts.join(" && ");
}

/** Every version of a range whose upper end is bounded by `valid` (for loops in the generator and tests). */
export function versionsOf(range: VersionRange | null, valid: VersionRange): number[] {
  const bounded = intersect(range, valid);
  if (bounded === null) return [];
  const versions: number[] = [];
  for (let version = bounded.min; version <= bounded.max; version++) versions.push(version);
  return versions;
}
