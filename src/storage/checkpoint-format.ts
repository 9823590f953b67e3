// The per-partition checkpoint (recovery point, log start offset, and the size of a fully synced active
// segment) as text with a CRC, so a torn or foreign file is told apart from a good one. Pure
// encode/decode; the log writes it atomically.

import { crc32c } from "../protocol/crc32c.ts";

export interface LogCheckpoint {
  /** Every batch below this offset was fdatasync'ed: recovery scans only from here. */
  recoveryPoint: number;
  logStartOffset: number;
  /**
   * When the recovery point is the log end (all synced): the active segment's size then, or -1. If the file
   * still has that size at open, nothing was written since and the active segment need not be scanned
   * (Kafka's clean-shutdown marker, per partition) — 10,000 partitions would otherwise scan every active
   * segment at each restart.
   */
  activeSegmentBytes: number;
}

const formatVersion = 1;
const fieldCount = 5;

export function encodeCheckpoint(checkpoint: LogCheckpoint): string {
  const body = `${formatVersion} ${checkpoint.recoveryPoint} ${checkpoint.logStartOffset} ${checkpoint.activeSegmentBytes}`;
  return `${body} ${crc32c(new TextEncoder().encode(body))}\n`;
}

export function decodeCheckpoint(text: string): LogCheckpoint | string {
  const parts = text.trim().split(" ");
  if (parts.length !== fieldCount) return "checkpoint has the wrong number of fields";
  const body = parts.slice(0, fieldCount - 1).join(" ");
  if (String(crc32c(new TextEncoder().encode(body))) !== parts[fieldCount - 1])
    return "checkpoint CRC mismatch";
  if (parts[0] !== String(formatVersion)) return `checkpoint version ${parts[0]}`;
  const [recoveryPoint, logStartOffset, activeSegmentBytes] = parts.slice(1, 4).map(Number) as [
    number,
    number,
    number,
  ];
  if (!Number.isSafeInteger(recoveryPoint) || recoveryPoint < 0) return "checkpoint recovery point";
  if (!Number.isSafeInteger(logStartOffset) || logStartOffset < 0) return "checkpoint log start offset";
  if (!Number.isSafeInteger(activeSegmentBytes) || activeSegmentBytes < -1)
    return "checkpoint active segment size";
  return { recoveryPoint, logStartOffset, activeSegmentBytes };
}
