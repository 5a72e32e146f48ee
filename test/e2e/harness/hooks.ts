import { after, afterEach } from 'node:test';
import { stopAllClusters } from './cluster.js';

/**
 * Installs the per-file hooks every end-to-end test file needs: after each test, every cluster
 * it started is stopped, even when the test failed or timed out; a failed test's directory is
 * kept and its path printed, so the member logs can be read.
 */
export function useClusterCleanup(): void {
  afterEach(async (t) => {
    // `passed` exists at run time since Node 20.12; @types/node 20 does not declare it yet.
    const failed = (t as { passed?: boolean }).passed !== true;
    const stopped = await stopAllClusters({ keep: failed });
    if (failed && stopped.length > 0) {
      const where = stopped.map((c) => c.describeLogs()).join('; ');
      process.stderr.write(`e2e: test "${t.name}" failed; member logs are in ${where}\n`);
    }
  });
  after(async () => {
    await stopAllClusters();
  });
}
