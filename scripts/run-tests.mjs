// Runs the compiled test files with node's built-in runner. Node 20's `--test` takes no globs,
// so the files are listed here; an optional argument narrows the run to one folder of test/.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = join('dist', process.argv[2] ?? 'test');

function collect(dir) {
  const files = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) files.push(...collect(path));
    else if (name.endsWith('.test.js')) files.push(path);
  }
  return files;
}

const files = collect(root);
if (files.length === 0) {
  console.error(`no test files under ${root}`);
  process.exit(1);
}
const concurrency = process.env.REDRAFT_TEST_CONCURRENCY ?? '2';
const result = spawnSync(
  process.execPath,
  ['--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
