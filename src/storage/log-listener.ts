// What a partition log tells the one listener it may have (the partition's producer state, which keeps a table
// in step with the log's contents and snapshots it at each roll, as Kafka's ProducerStateManager does). Called
// synchronously from inside the log's own operations: a listener must not call back into the log's writes.

export interface LogListener {
  /** Whole batches, stamped with their offsets, were staged at the log end (written at the turn's end). */
  onAppend(bytes: Uint8Array): void;
  /** The active segment rolled at `baseOffset`: everything below it is synced in sealed segments. */
  onRoll(baseOffset: number): void;
  /** The log end moved back to `endOffset`: a divergent suffix was cut, or a failed write was undone. */
  onTruncate(endOffset: number): void;
  /** The log was emptied and begins again at `offset` (a replica restarting at the leader's log start). */
  onRestart(offset: number): void;
  /** The log start advanced to `logStartOffset` (DeleteRecords, or retention deleted segments). */
  onStartAdvance(logStartOffset: number): void;
  /** The log is closing cleanly: everything below `endOffset` is synced. */
  onClose(endOffset: number): void;
}
