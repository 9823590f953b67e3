// Typed errors of the storage engine: the broker maps them to Kafka error codes (KAFKA_STORAGE_ERROR 56,
// OFFSET_OUT_OF_RANGE 1, CORRUPT_MESSAGE 2). Invariant violations are asserts, not these.

/** The disk failed us (ENOSPC, EIO, a corrupt segment before the tail): KAFKA_STORAGE_ERROR. */
export class StorageError extends Error {
  override name = "StorageError";
  readonly code: string | undefined;
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = errnoCode(options.cause);
  }
}

/** The log on disk is damaged somewhere recovery may not simply truncate: the partition cannot open. */
export class CorruptLogError extends StorageError {
  override name = "CorruptLogError";
}

/** A read or truncate asked for an offset outside [logStartOffset, logEndOffset]: OFFSET_OUT_OF_RANGE. */
export class OffsetOutOfRangeError extends Error {
  override name = "OffsetOutOfRangeError";
  constructor(
    readonly offset: number,
    readonly logStartOffset: number,
    readonly logEndOffset: number,
  ) {
    super(`offset ${offset} is outside the log [${logStartOffset}, ${logEndOffset}]`);
  }
}

/** Bytes handed to append were not whole magic-2 batches: CORRUPT_MESSAGE. */
export class InvalidBatchError extends Error {
  override name = "InvalidBatchError";
}

export function errnoCode(error: unknown): string | undefined {
  if (typeof error === "object" && error !== null && "code" in error) {
    const code = (error as { code: unknown }).code;
    return typeof code === "string" ? code : undefined;
  }
  return undefined;
}

export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
