// The ACLs the cluster holds: a set of bindings, indexed by resource type and pattern so the authorizer finds
// the few that can apply to a resource without scanning them all. Part of the metadata state: changed only by
// applying metadata records, and versioned so decisions cached against it know when they are stale.

import { assert } from "../../base/assert.ts";
import { type AclBinding, aclKey, PatternType, wildcardName } from "./acl-model.ts";

interface TypeIndex {
  /** LITERAL bindings by resource name ("*" included). */
  literal: Map<string, AclBinding[]>;
  /** PREFIXED bindings by prefix. */
  prefixed: Map<string, AclBinding[]>;
}

export class AclTable {
  private readonly byKey = new Map<string, AclBinding>();
  private readonly byType = new Map<number, TypeIndex>();
  /** Grows by one with every change: a decision made at version v holds while the version is v. */
  version = 0;

  get size(): number {
    return this.byKey.size;
  }

  has(binding: AclBinding): boolean {
    return this.byKey.has(aclKey(binding));
  }

  all(): IterableIterator<AclBinding> {
    return this.byKey.values();
  }

  add(binding: AclBinding): void {
    const key = aclKey(binding);
    assert(!this.byKey.has(key), `acl ${key} exists`);
    const stored = { ...binding };
    this.byKey.set(key, stored);
    const bucket = this.bucket(stored.resourceType, stored.patternType);
    const list = bucket.get(stored.resourceName);
    if (list) list.push(stored);
    else bucket.set(stored.resourceName, [stored]);
    this.version++;
  }

  remove(binding: AclBinding): void {
    const key = aclKey(binding);
    const stored = this.byKey.get(key);
    assert(stored !== undefined, `no acl ${key}`);
    this.byKey.delete(key);
    const bucket = this.bucket(stored.resourceType, stored.patternType);
    const list = bucket.get(stored.resourceName)!;
    const remaining = list.filter((entry) => entry !== stored);
    if (remaining.length === 0) bucket.delete(stored.resourceName);
    else bucket.set(stored.resourceName, remaining);
    this.version++;
  }

  /** Every binding whose pattern applies to the resource: LITERAL of its name or "*", PREFIXED of a prefix of it. */
  matching(resourceType: number, resourceName: string): AclBinding[] {
    const index = this.byType.get(resourceType);
    if (index === undefined) return [];
    const found: AclBinding[] = [];
    const exact = index.literal.get(resourceName);
    if (exact) found.push(...exact);
    if (resourceName !== wildcardName) {
      const wildcard = index.literal.get(wildcardName);
      if (wildcard) found.push(...wildcard);
    }
    // Whichever is fewer: the name's prefixes to look up, or the stored prefixes to compare.
    if (index.prefixed.size > resourceName.length) {
      for (let length = 1; length <= resourceName.length; length++) {
        const bindings = index.prefixed.get(resourceName.slice(0, length));
        if (bindings) found.push(...bindings);
      }
    } else {
      for (const [prefix, bindings] of index.prefixed) {
        if (resourceName.startsWith(prefix)) found.push(...bindings);
      }
    }
    return found;
  }

  /** Every binding on resources of this type. */
  ofType(resourceType: number): AclBinding[] {
    const index = this.byType.get(resourceType);
    if (index === undefined) return [];
    return [...index.literal.values(), ...index.prefixed.values()].flat();
  }

  private bucket(resourceType: number, patternType: number): Map<string, AclBinding[]> {
    assert(
      patternType === PatternType.literal || patternType === PatternType.prefixed,
      `stored acl with pattern type ${patternType}`,
    );
    let index = this.byType.get(resourceType);
    if (index === undefined) {
      index = { literal: new Map(), prefixed: new Map() };
      this.byType.set(resourceType, index);
    }
    return patternType === PatternType.literal ? index.literal : index.prefixed;
  }
}
