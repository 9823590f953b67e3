// Single-step membership changes: add or remove one voter or learner at a time, and promote a learner.
import type { MembershipConfig, NodeId } from "./types.ts";

export type ConfigChange =
  | { readonly type: "addLearner"; readonly node: NodeId }
  | { readonly type: "promoteLearner"; readonly node: NodeId }
  | { readonly type: "addVoter"; readonly node: NodeId }
  | { readonly type: "removeNode"; readonly node: NodeId };

/** The configuration after one change, or the reason the change does not apply. */
export function applyConfigChange(config: MembershipConfig, change: ConfigChange): MembershipConfig | string {
  const isVoter = config.voters.includes(change.node);
  const isLearner = config.learners.includes(change.node);
  switch (change.type) {
    case "addLearner":
      if (isVoter || isLearner) return `node ${change.node} is already a member`;
      return { voters: config.voters, learners: sorted([...config.learners, change.node]) };
    case "promoteLearner":
      if (!isLearner) return `node ${change.node} is not a learner`;
      return {
        voters: sorted([...config.voters, change.node]),
        learners: config.learners.filter((id) => id !== change.node),
      };
    case "addVoter":
      if (isVoter || isLearner) return `node ${change.node} is already a member`;
      return { voters: sorted([...config.voters, change.node]), learners: config.learners };
    case "removeNode":
      if (!isVoter && !isLearner) return `node ${change.node} is not a member`;
      if (isVoter && config.voters.length === 1) return "cannot remove the last voter";
      return {
        voters: config.voters.filter((id) => id !== change.node),
        learners: config.learners.filter((id) => id !== change.node),
      };
  }
}

export function members(config: MembershipConfig): NodeId[] {
  return [...config.voters, ...config.learners];
}

function sorted(ids: NodeId[]): NodeId[] {
  return ids.sort((a, b) => a - b);
}
