/**
 * How commands travel through the Raft log: the proposer encodes, every replica decodes the
 * same bytes before applying. A codec must be deterministic in the sense that matters here:
 * `decode(encode(c))` means the same command on every replica and every version of the
 * application that may replay the log.
 */
export interface Codec<T> {
  // Function-typed properties rather than methods: their parameters are checked strictly,
  // so a codec for other commands than the state machine's is a compile error.
  /** The bytes stored in the log for `value`. May throw to refuse a value. */
  readonly encode: (value: T) => Uint8Array;
  /**
   * The value of bytes `encode` produced. May throw on bytes it did not produce. The bytes
   * are a view of the log's copy: they must not be modified.
   */
  readonly decode: (bytes: Uint8Array) => T;
}

const utf8Encoder = new TextEncoder();
/** `fatal`: bytes that are not UTF-8 are an error, not silently replaced characters. */
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Commands as JSON text. `T` must survive `JSON.stringify`/`JSON.parse` unchanged: plain
 * objects, arrays, strings, finite numbers, booleans and null (no `undefined`, `bigint`,
 * `Date`, `Map` or class instances).
 */
export function jsonCodec<T>(): Codec<T> {
  return {
    encode(value: T): Uint8Array {
      const text = JSON.stringify(value) as string | undefined;
      if (text === undefined) throw new TypeError(`cannot encode ${typeof value} as JSON`);
      return utf8Encoder.encode(text);
    },
    decode(bytes: Uint8Array): T {
      return JSON.parse(utf8Decoder.decode(bytes)) as T;
    },
  };
}

/** Commands that are strings, stored as UTF-8. */
export const utf8Codec: Codec<string> = {
  encode(value: string): Uint8Array {
    if (typeof value !== 'string') throw new TypeError(`expected a string, got ${typeof value}`);
    return utf8Encoder.encode(value);
  },
  decode(bytes: Uint8Array): string {
    return utf8Decoder.decode(bytes);
  },
};

/** Commands that are already bytes, stored as they are. */
export const bytesCodec: Codec<Uint8Array> = {
  encode(value: Uint8Array): Uint8Array {
    if (!(value instanceof Uint8Array)) {
      throw new TypeError(`expected a Uint8Array, got ${typeof value}`);
    }
    return value;
  },
  decode(bytes: Uint8Array): Uint8Array {
    return bytes;
  },
};
