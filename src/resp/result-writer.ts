import { CommandError, Status, type Result } from '../fsm/result.js';
import type { ReplyWriter } from './encoder.js';

/** Encodes a state machine result as a RESP reply. */
export function writeResult(w: ReplyWriter, r: Result): void {
  if (r === null) {
    w.null();
  } else if (typeof r === 'number' || typeof r === 'bigint') {
    w.integer(r);
  } else if (Buffer.isBuffer(r)) {
    w.bulk(r);
  } else if (r instanceof Status) {
    if (r.text === 'OK') w.ok();
    else w.simple(r.text);
  } else if (r instanceof CommandError) {
    w.error(r.message);
  } else {
    w.arrayHeader(r.length);
    for (const item of r) writeResult(w, item);
  }
}
