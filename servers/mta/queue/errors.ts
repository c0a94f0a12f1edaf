/** The queue's typed errors; `userError` marks an operator's or caller's mistake (logged quietly). */

export abstract class QueueError extends Error {
  abstract readonly code: string;
  readonly userError: boolean = false;
}

/** enqueue() after stop(), or before the spool was opened. */
export class QueueClosedError extends QueueError {
  readonly code = "QUEUE_CLOSED";
  constructor() {
    super("the queue is stopped");
    this.name = "QueueClosedError";
  }
}

/** An envelope the queue cannot store (no recipients, CR/LF or angle brackets in an address). */
export class InvalidEnvelopeError extends QueueError {
  readonly code = "INVALID_ENVELOPE";
  override readonly userError = true;
  constructor(reason: string) {
    super(`invalid envelope: ${reason}`);
    this.name = "InvalidEnvelopeError";
  }
}

/** A queue id that is not one of ours (also guards file paths built from CLI input). */
export class InvalidQueueIdError extends QueueError {
  readonly code = "INVALID_QUEUE_ID";
  override readonly userError = true;
  constructor(readonly id: string) {
    super(`not a queue id: ${JSON.stringify(id)}`);
    this.name = "InvalidQueueIdError";
  }
}

export class MessageNotFoundError extends QueueError {
  readonly code = "MESSAGE_NOT_FOUND";
  override readonly userError = true;
  constructor(readonly id: string) {
    super(`no message ${id} in the queue`);
    this.name = "MessageNotFoundError";
  }
}

/** A spool file that cannot be read back; it is moved aside to `corrupt/`, never deleted. */
export class SpoolCorruptError extends QueueError {
  readonly code = "SPOOL_CORRUPT";
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(`corrupt spool file ${file}: ${reason}`);
    this.name = "SpoolCorruptError";
  }
}

/** Another live process (an MTA or a `mailstack queue` command) holds the spool. */
export class SpoolLockedError extends QueueError {
  readonly code = "SPOOL_LOCKED";
  constructor(
    readonly spoolDir: string,
    readonly pid: number,
  ) {
    super(`the spool ${spoolDir} is held by process ${pid}`);
    this.name = "SpoolLockedError";
  }
}
