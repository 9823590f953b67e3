// The cluster's feature flags (KIP-584) as Kafka's ApiVersions and UpdateFeatures name them: what this broker
// supports and the levels finalized cluster-wide. Chronik's behaviour does not vary by level, so each feature has
// one finalized level that never changes; UpdateFeatures validates requests against these ranges and refuses
// every change with Kafka's messages (nothing changeable, so nothing is kept in the metadata log).

export interface FeatureRange {
  name: string;
  minVersion: number;
  maxVersion: number;
  /** The cluster-wide finalized level. */
  finalizedLevel: number;
}

/** metadata.version 3.3-IV3: the lowest Kafka 4 supports, and the first whose records Chronik's log resembles. */
const metadataVersionMin = 7;
/** metadata.version 3.9-IV0: the level of the Kafka release whose APIs and versions Chronik answers. */
const metadataVersionCurrent = 21;

export const features: readonly FeatureRange[] = [
  {
    name: "metadata.version",
    minVersion: metadataVersionMin,
    maxVersion: metadataVersionCurrent,
    finalizedLevel: metadataVersionCurrent,
  },
  // group.version 1 is KIP-848's consumer group protocol, which Chronik always serves (it cannot turn it off).
  { name: "group.version", minVersion: 1, maxVersion: 1, finalizedLevel: 1 },
];

/** The finalized features' epoch: they never change, so one epoch holds for the cluster's whole life. */
export const finalizedFeaturesEpoch = 0;

export function featureRange(name: string): FeatureRange | undefined {
  return features.find((feature) => feature.name === name);
}

/** UpdateFeatures' upgrade types (FeatureUpdate.UpgradeType). */
export const UpgradeType = { upgrade: 1, safeDowngrade: 2, unsafeDowngrade: 3 } as const;

/**
 * Why a feature cannot move to `level` (Kafka's FeatureControlManager.updateFeature messages), or null when the
 * level is the one finalized already, which Kafka accepts as a no-op.
 */
export function featureUpdateRefusal(name: string, level: number, upgradeType: number): string | null {
  const prefix = `Invalid update version ${level} for feature ${name}.`;
  if (upgradeType < UpgradeType.upgrade || upgradeType > UpgradeType.unsafeDowngrade)
    return `${prefix} The controller does not support the given upgrade type.`;
  if (level < 0) return `${prefix} A feature version cannot be less than 0.`;
  const feature = featureRange(name);
  if (feature === undefined) return `${prefix} The controller does not support the given feature.`;
  if (level === feature.finalizedLevel) return null;
  if (level < feature.minVersion || level > feature.maxVersion)
    return `${prefix} Local controller only supports versions ${feature.minVersion}-${feature.maxVersion}`;
  if (upgradeType === UpgradeType.upgrade)
    return `${prefix} Can't downgrade the version of this feature without setting the upgrade type to either safe or unsafe downgrade.`;
  // Only metadata.version has levels below the finalized one here; Kafka refuses to downgrade it.
  return upgradeType === UpgradeType.unsafeDowngrade
    ? "Unsafe metadata.version downgrades are not supported."
    : `Invalid metadata.version ${level}. Refusing to perform the requested downgrade because it might delete metadata information.`;
}
