/**
 * Prints test/bench/etcd-fixtures.ts: the bytes a real etcd (the `etcd` on PATH, one member
 * started here) answers to KV.Put and KV.Range, for the codec tests that run without etcd.
 *
 *   npm run build && node dist/bench/etcd/record-fixtures.js > test/bench/etcd-fixtures.ts
 */
import { Client, credentials } from '@grpc/grpc-js';
import { EtcdCluster } from './cluster.js';
import { PUT_METHOD, RANGE_METHOD, encodePutRequest, encodeRangeRequest } from './kv-codec.js';

function call(client: Client, method: string, request: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      method,
      (b: Buffer) => b,
      (b: Buffer) => b,
      request,
      (err, res) => (err === null ? resolve(res!) : reject(err)),
    );
  });
}

async function main(): Promise<void> {
  const cluster = await EtcdCluster.start({ name: 'fixtures', size: 1 });
  try {
    const client = new Client(cluster.members[0]!.address, credentials.createInsecure());
    const key = Buffer.from('key:000000000042');
    const requests = {
      firstPut: encodePutRequest({ key, value: Buffer.from('first value') }),
      secondPut: encodePutRequest({ key, value: Buffer.from('second value'), prevKv: true }),
      range: encodeRangeRequest({ key }),
      serializableRange: encodeRangeRequest({ key, serializable: true }),
      missingRange: encodeRangeRequest({ key: Buffer.from('key:999999999999') }),
    };
    const responses = {
      firstPut: await call(client, PUT_METHOD, requests.firstPut),
      secondPut: await call(client, PUT_METHOD, requests.secondPut),
      range: await call(client, RANGE_METHOD, requests.range),
      serializableRange: await call(client, RANGE_METHOD, requests.serializableRange),
      missingRange: await call(client, RANGE_METHOD, requests.missingRange),
    };
    client.close();
    const version = await cluster.version();
    const hex = (o: Record<string, Buffer>): string[] =>
      Object.entries(o).map(([k, v]) => `  ${k}: '${v.toString('hex')}',`);
    console.log(
      [
        '/**',
        ` * Recorded from ${version}, one member on loopback, by bench/etcd/record-fixtures.ts:`,
        " * Put 'first value' then 'second value' (prev_kv) to key:000000000042, then Range of it",
        ' * (linearizable and serializable) and of the absent key:999999999999. Hex, as sent and',
        ' * as answered.',
        ' */',
        'export const ETCD_REQUESTS = {',
        ...hex(requests),
        '} as const;',
        '',
        'export const ETCD_RESPONSES = {',
        ...hex(responses),
        '} as const;',
      ].join('\n'),
    );
  } finally {
    await cluster.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
