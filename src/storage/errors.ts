/**
 * Errors of the durable storage layer. Each has a stable `code` (DESIGN.md section 7) so the
 * node can map it without matching messages.
 */

export class StorageError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * A write could not be made durable. The storage refuses every later write: continuing would
 * mean running with state that a restart would not see. The node must stop.
 */
export class StorageFatalError extends StorageError {
  constructor(message: string, cause?: unknown) {
    super('STORAGE_FATAL', message, { cause });
  }
}

/**
 * Persisted data failed to decode or verify. `key` names the record (for example
 * `entry/42`, `hard-state`) so an operator knows what is damaged.
 */
export class StorageCorruptError extends StorageError {
  constructor(
    readonly key: string,
    message: string,
    cause?: unknown,
  ) {
    super('STORAGE_CORRUPT', `${key}: ${message}`, { cause });
  }
}

/** The log directory was written by another member than the one opening it. */
export class MemberMismatchError extends StorageError {
  constructor(
    readonly dir: string,
    readonly recordedId: string,
    readonly memberId: number,
  ) {
    super(
      'STORAGE_MEMBER_MISMATCH',
      `${dir} holds the log of member ${recordedId}, not of member ${memberId}: check --id and ` +
        `--data-dir (each member needs its own directory)`,
    );
  }
}

/** The storage was closed; nothing more can be written. */
export class StorageClosedError extends StorageError {
  constructor() {
    super('STORAGE_CLOSED', 'storage is closed');
  }
}
