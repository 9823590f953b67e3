// The partition directory's log-checkpoint — recovery point, log start, and how far the active segment's file may
// be trusted unscanned — written atomically and durably. A truncation or a close writes it at once; the log
// manager's periodic round and a roll write it in the background, on the thread pool, so no produce waits for
// it. Every write takes a generation, and a background write lands only if none began after it: an older
// checkpoint never overwrites a newer one.

import { join } from "node:path";
import { writeFileAtomic, writeFileAtomicInBackground } from "./atomic-file.ts";
import type { LogLine } from "./log-recovery.ts";
import { checkpointFileName } from "./segment-name.ts";
import { describeError } from "./storage-error.ts";
import type { StorageFs } from "./storage-fs.ts";

export class CheckpointFile {
  private readonly path: string;
  /** What the file holds: the last write that landed. */
  private landedText: string;
  /** Bumped by every write: a background one lands only if none began after it. */
  private generation = 0;
  /** Background failures are no longer worth a log line: the log is closing. */
  private quiet = false;

  constructor(
    private readonly storageFs: StorageFs,
    private readonly dir: string,
    private readonly logLine: LogLine,
    /** What the file holds now (as recovery read it). */
    landedText: string,
  ) {
    this.path = join(dir, checkpointFileName);
    this.landedText = landedText;
  }

  /**
   * Durable on return. Any background write still in flight is dropped, even when this one has nothing new to
   * write: the file then holds what landed last, which the caller's change (a truncation, say) may need it to keep.
   */
  write(text: string): void {
    this.generation += 1;
    // The manager checkpoints every log each minute: an idle partition costs no fsync.
    if (text === this.landedText) return;
    writeFileAtomic(this.storageFs, this.path, text);
    this.landedText = text;
  }

  /**
   * write() off the event loop. Resolves once the checkpoint is durable, dropped (a newer write overtook it) or
   * failed (logged: an older checkpoint only means a longer scan at the next open).
   */
  writeInBackground(text: string): Promise<void> {
    if (text === this.landedText) return Promise.resolve();
    this.generation += 1;
    return this.land(text, this.generation);
  }

  /** The log is closing: a background write that fails from now on is not logged. */
  silence(): void {
    this.quiet = true;
  }

  private async land(text: string, generation: number): Promise<void> {
    try {
      const landed = await writeFileAtomicInBackground(this.storageFs, this.path, text, {
        tag: String(generation),
        isCurrent: () => generation === this.generation,
      });
      if (landed) this.landedText = text;
    } catch (error) {
      if (!this.quiet) this.logLine(`${this.dir}: cannot write the checkpoint: ${describeError(error)}`);
    }
  }
}
