/** A log entry's payload could not be decoded (see entry-codec.ts). */
export class MalformedEntryError extends Error {
  constructor(why: string) {
    super(`malformed log entry: ${why}`);
    this.name = 'MalformedEntryError';
  }
}
