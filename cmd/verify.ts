/**
 * `redraft verify`: checks a PROVE reply offline against a root the caller trusts. It uses only
 * the package's verifier (src/merkle/verify.ts): no server, no network.
 *
 * Exit status: 0 the proof is valid for the claim, 1 it is not (the reason is printed),
 * 2 the command line is wrong.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { verifyKeyProof, type KeyClaim, type RedisValue } from '../src/merkle/verify.js';

export const VERIFY_USAGE = `usage: redraft verify --root HEX (--key KEY | --key-hex HEX)
                      (--value VALUE | --value-hex HEX | --absent) --proof FILE [--db N]

Checks a proof from PROVE against a state root you trust.

  --root HEX       the trusted state root: 64 hex digits
  --key KEY        the key, as UTF-8 text (--key-hex HEX for any bytes)
  --value VALUE    claim: the key holds this string (UTF-8); the proven expiry is printed
  --value-hex HEX  claim: the key holds exactly this canonical value (PROVE's first element)
  --absent         claim: the key does not exist
  --proof FILE     the proof bytes exactly as PROVE returned them ('-' reads standard input)
  --db N           the database (default 0)

exit status: 0 valid, 1 invalid (the reason is printed), 2 usage error
`;

export interface VerifyIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** Reads the proof file ('-': standard input). */
  readonly readFile: (path: string) => Buffer;
}

const defaultIo: VerifyIo = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  readFile: (path) => readFileSync(path === '-' ? 0 : path),
};

class UsageError extends Error {}

function parseHex(flag: string, text: string, length?: number): Buffer {
  if (!/^([0-9a-fA-F]{2})*$/.test(text)) throw new UsageError(`${flag} must be hex digits`);
  const bytes = Buffer.from(text, 'hex');
  if (length !== undefined && bytes.length !== length) {
    throw new UsageError(`${flag} must be ${length * 2} hex digits, got ${text.length}`);
  }
  return bytes;
}

/** Bytes for a human: quoted text when they are printable UTF-8, else hex. */
function show(bytes: Uint8Array): string {
  const b = Buffer.from(bytes);
  const text = b.toString('utf8');
  // eslint-disable-next-line no-control-regex
  if (Buffer.from(text, 'utf8').equals(b) && !/[\u0000-\u001f\u007f]/.test(text)) {
    return JSON.stringify(text);
  }
  return `0x${b.toString('hex')}`;
}

function describe(value: RedisValue): string {
  const expiry =
    value.expireAt === 0 ? 'no expiry' : `expires at ${new Date(value.expireAt).toISOString()}`;
  if (value.type === 'string') return `the string ${show(value.value)} (${expiry})`;
  const fields = value.fields.map(([f, v]) => `${show(f)}: ${show(v)}`).join(', ');
  return `a hash of ${value.fields.length} field(s) {${fields}} (${expiry})`;
}

function parse(
  argv: readonly string[],
  io: VerifyIo,
): {
  root: Buffer;
  key: Buffer;
  db: number;
  claim: KeyClaim;
  proof: Buffer;
} {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        root: { type: 'string' },
        key: { type: 'string' },
        'key-hex': { type: 'string' },
        value: { type: 'string' },
        'value-hex': { type: 'string' },
        absent: { type: 'boolean' },
        proof: { type: 'string' },
        db: { type: 'string' },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.root === undefined) throw new UsageError('--root is required');
  const root = parseHex('--root', values.root, 32);

  if ((values.key === undefined) === (values['key-hex'] === undefined)) {
    throw new UsageError('give the key with exactly one of --key or --key-hex');
  }
  const key =
    values.key !== undefined
      ? Buffer.from(values.key, 'utf8')
      : parseHex('--key-hex', values['key-hex']!);

  const claims = [values.value, values['value-hex'], values.absent === true ? true : undefined];
  if (claims.filter((c) => c !== undefined).length !== 1) {
    throw new UsageError('claim exactly one of --value, --value-hex or --absent');
  }
  let claim: KeyClaim;
  if (values.absent === true) claim = { kind: 'absent' };
  else if (values.value !== undefined)
    claim = { kind: 'string', value: Buffer.from(values.value, 'utf8') };
  else claim = { kind: 'encoded', value: parseHex('--value-hex', values['value-hex']!) };

  const dbText = values.db ?? '0';
  if (!/^\d{1,3}$/.test(dbText) || Number(dbText) > 255) {
    throw new UsageError(`--db must be a database index, got "${dbText}"`);
  }

  if (values.proof === undefined) throw new UsageError('--proof is required');
  let proof: Buffer;
  try {
    proof = io.readFile(values.proof);
  } catch (err) {
    throw new UsageError(`cannot read --proof ${values.proof}: ${(err as Error).message}`);
  }
  return { root, key, db: Number(dbText), claim, proof };
}

/** Runs `redraft verify`; resolves with the exit status. */
export function runVerify(argv: readonly string[], io: VerifyIo = defaultIo): number {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.out(VERIFY_USAGE);
    return 0;
  }
  let q;
  try {
    q = parse(argv, io);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.err(`redraft verify: ${err.message}\n\n${VERIFY_USAGE}`);
    return 2;
  }
  const r = verifyKeyProof(q);
  const what = `key ${show(q.key)} of db ${q.db}`;
  if (!r.valid) {
    io.out(`invalid: ${r.reason}\n`);
    return 1;
  }
  const rootHex = q.root.toString('hex');
  io.out(
    r.value === undefined
      ? `valid: ${what} is absent under root ${rootHex}\n`
      : `valid: ${what} holds ${describe(r.value)} under root ${rootHex}\n`,
  );
  return 0;
}
