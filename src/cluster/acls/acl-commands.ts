// CreateAcls and DeleteAcls planned against the metadata state: which bindings are refused and why, which are
// new, and which stored ones each filter removes. Pure; the records returned carry the change to every node.

import type { MetadataRecord } from "../metadata/metadata-records.ts";
import type { MetadataState } from "../metadata/metadata-state.ts";
import {
  type AclBinding,
  type AclBindingFilter,
  aclKey,
  bindingProblem,
  filterMatches,
  filterProblem,
} from "./acl-model.ts";

export type AclOutcome = { ok: true } | { ok: false; message: string };

export interface CreateAclsPlan {
  /** One per binding asked for, in order. */
  outcomes: AclOutcome[];
  /** A binding already stored (or asked for twice) is created once: Kafka treats it as success. */
  records: MetadataRecord[];
}

export function planCreateAcls(state: MetadataState, bindings: readonly AclBinding[]): CreateAclsPlan {
  const planned = new Set<string>();
  const records: MetadataRecord[] = [];
  const outcomes = bindings.map((binding): AclOutcome => {
    const problem = bindingProblem(binding);
    if (problem !== null) return { ok: false, message: problem };
    const key = aclKey(binding);
    if (!state.acls.has(binding) && !planned.has(key)) {
      planned.add(key);
      records.push({ type: "acl", binding: { ...binding } });
    }
    return { ok: true };
  });
  return { outcomes, records };
}

export type DeleteOutcome = { ok: true; deleted: AclBinding[] } | { ok: false; message: string };

export interface DeleteAclsPlan {
  /** One per filter, in order: the bindings it matched (each removed once, by the first filter to match it). */
  outcomes: DeleteOutcome[];
  records: MetadataRecord[];
}

export function planDeleteAcls(state: MetadataState, filters: readonly AclBindingFilter[]): DeleteAclsPlan {
  const removed = new Set<string>();
  const records: MetadataRecord[] = [];
  const outcomes = filters.map((filter): DeleteOutcome => {
    const problem = filterProblem(filter);
    if (problem !== null) return { ok: false, message: problem };
    const deleted = [...state.acls.all()].filter((binding) => filterMatches(filter, binding));
    for (const binding of deleted) {
      const key = aclKey(binding);
      if (removed.has(key)) continue;
      removed.add(key);
      records.push({ type: "remove-acl", binding: { ...binding } });
    }
    return { ok: true, deleted };
  });
  return { outcomes, records };
}
