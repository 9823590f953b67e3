// Named limits and defaults of the storage engine, with their units, in one place.

/** Kafka's segment.bytes default: a segment rolls once it would grow past this. */
export const segmentBytesDefault = 1024 * 1024 * 1024;
/** Positions in the offset index are int32, so a segment can never exceed this (Kafka's limit too). */
export const segmentBytesMax = 2 ** 31 - 1;
/** Kafka's segment.ms default: a non-empty segment older than this rolls at the next append (7 days). */
export const segmentMsDefault = 7 * 24 * 60 * 60 * 1000;
/** Kafka's index.interval.bytes default: one offset/time index entry per this many log bytes. */
export const indexIntervalBytesDefault = 4096;
/** Kafka's retention.ms default (7 days); -1 means keep forever. */
export const retentionMsDefault = 7 * 24 * 60 * 60 * 1000;
/** Kafka's retention.bytes default: -1, no size limit. */
export const retentionBytesDefault = -1;
/** Kafka's flush.ms default when the flush policy is "interval" and no interval is given. */
export const flushIntervalMsDefault = 1000;
/** Offsets relative to a segment's base are int32 in the index; a segment rolls before exceeding this. */
export const segmentRelativeOffsetMax = 2 ** 31 - 1;
/** Offsets are JS numbers internally: exact up to 2^53, about 285 years at a million records a second. */
export const offsetMax = Number.MAX_SAFE_INTEGER;
/** Open file descriptors the pool keeps across all partitions of a node (the process limit is 20,000 here). */
export const openFileHandlesMax = 1024;
/** Unwritten index entries kept in memory per index before they are written out. */
export const indexPendingEntriesMax = 128;
/** Bytes read per step while scanning a segment (recovery, index rebuild): never a whole segment. */
export const scanChunkBytes = 1024 * 1024;
/** Largest batch the log accepts or recovers (a bigger length field is treated as corruption). */
export const batchBytesMax = 64 * 1024 * 1024;
/** Bytes read per step while seeking a batch from an index entry. */
export const seekChunkBytes = 16 * 1024;
/** How often the log manager writes recovery-point checkpoints (Kafka's 60 s default). */
export const checkpointIntervalMsDefault = 60_000;
/**
 * Checkpoints written per manager tick (every 100 ms) at the most. Each is a file write, two fsyncs and a rename
 * on the event loop (1-3 ms here): a round over thousands of partitions at once would stall every request for
 * seconds, so a round is spread over ticks instead — 40 partitions a second, 2,400 a minute.
 */
export const checkpointsPerTickMax = 4;
/**
 * A segment's file is kept written with zeros up to this far past its last batch (PostgreSQL's wal_init_zero):
 * an fdatasync of appends that land in blocks already allocated and written flushes only their pages, while
 * one that grows the file must also commit the file system's journal for the new size and blocks — on this
 * machine's ext4 that took a small sync from ~0.5 to ~0.3 ms at the median (bench/RESULTS.md).
 */
export const zeroAheadBytes = 512 * 1024;
/**
 * Zeros are written ahead only after drains of at most this many bytes. Small drains mean small syncs, where
 * the journal commit is most of the cost; under full load a sync carries megabytes, its one commit is a small
 * share, and writing every byte twice would take throughput from a disk that is then the limit.
 */
export const zeroAheadDrainBytesMax = 64 * 1024;
/**
 * ...and only in a log whose drains come at most this far apart (about 100 small syncs a second or more): only
 * there do the journal commits saved add up, and a broker with thousands of quiet partitions does not keep
 * half a megabyte of zeros on disk for each of them.
 */
export const zeroAheadDrainGapMsMax = 10;
/** Appends of one event-loop turn are written together (one pwritev); at most this many bytes wait. */
export const stagedBytesMax = 1024 * 1024;
/** ...and at most this many chunks (IOV_MAX is 1024 on Linux). */
export const stagedChunksMax = 512;
/** How often the log manager applies retention (Kafka's log.retention.check.interval.ms, 5 minutes). */
export const retentionCheckIntervalMsDefault = 5 * 60 * 1000;
