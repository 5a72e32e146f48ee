#!/usr/bin/env node
/**
 * Builds native/sha256.c into dist/native/sha256.node, the Merkle tree's fast SHA-256
 * (see that file for why). Optional by design: without a C compiler or Node's headers this
 * prints why and exits 0, and src/merkle/sha256.ts uses node:crypto instead (same digests,
 * about twice the Merkle cost per changed key). REDRAFT_REQUIRE_NATIVE=1 makes a failed
 * build an error instead (CI sets it, so that the fast path is what CI tests).
 *
 * No node-gyp: the module is one C file against Node-API, whose symbols, like OpenSSL's, the
 * node binary itself provides when it loads the module, so a plain `cc -shared` builds it and
 * nothing has to be downloaded. Headers: $npm_config_nodedir/include/node, else the include
 * directory beside the running node binary.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'native', 'sha256.c');
const output = join(root, 'dist', 'native', 'sha256.node');
const required = process.env.REDRAFT_REQUIRE_NATIVE === '1';

function headerDirectory() {
  const candidates = [
    process.env.npm_config_nodedir && join(process.env.npm_config_nodedir, 'include', 'node'),
    join(dirname(process.execPath), '..', 'include', 'node'),
  ];
  return candidates.find((dir) => dir && existsSync(join(dir, 'node_api.h')));
}

function fail(reason) {
  const message = `native SHA-256 not built (${reason}); the Merkle tree will use node:crypto`;
  if (required) {
    console.error(`build-native: ${message}, and REDRAFT_REQUIRE_NATIVE=1`);
    process.exit(1);
  }
  console.warn(`build-native: ${message}`);
  process.exit(0);
}

if (process.platform === 'win32') fail('not supported on Windows');
const include = headerDirectory();
if (include === undefined) fail("Node's headers (node_api.h) not found");
if (!existsSync(join(include, 'openssl', 'sha.h'))) fail("Node's OpenSSL headers not found");
mkdirSync(dirname(output), { recursive: true });
const compiler = process.env.CC ?? 'cc';
const flags = ['-O2', '-Wall', '-Wextra', '-Werror', '-fPIC', '-shared', `-I${include}`];
// macOS resolves a module's undefined symbols against the loading binary only if told to.
if (process.platform === 'darwin') flags.push('-undefined', 'dynamic_lookup');
try {
  execFileSync(compiler, [...flags, '-o', output, source], {
    stdio: ['ignore', 'inherit', 'pipe'],
  });
} catch (err) {
  const stderr = err.stderr?.toString().trim();
  fail(`${compiler} failed${stderr ? `: ${stderr.split('\n')[0]}` : ''}`);
}
