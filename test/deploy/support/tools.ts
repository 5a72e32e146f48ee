/**
 * Where the deploy tests find helm, kubeconform and the schema sources that
 * test/deploy/install.sh puts in place (its versions: test/deploy/tool-versions.env).
 *
 * A missing tool fails the tests loudly under CI (CI=true), where install.sh is meant to have
 * run; on a developer's machine the tests that need it are skipped with the reason printed.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

/** The repository root, from this compiled file (dist/test/deploy/support). */
export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
export const CHART_DIR = join(REPO_ROOT, 'deploy', 'helm', 'redraft');
const VERSIONS_FILE = join(REPO_ROOT, 'test', 'deploy', 'tool-versions.env');
const INSTALL_HINT = 'run: bash test/deploy/install.sh';

export interface DeployTools {
  readonly helm: string;
  readonly kubeconform: string;
  /** Kubernetes version (without "v") -> its OpenAPI v2 document (swagger.json). */
  readonly kubernetesApis: ReadonlyMap<string, string>;
  /** The Prometheus Operator's ServiceMonitor CustomResourceDefinition (YAML). */
  readonly serviceMonitorCrd: string;
}

export type Found<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

/** KEY=value lines of tool-versions.env (values optionally in double quotes). */
export function readToolVersions(): ReadonlyMap<string, string> {
  const out = new Map<string, string>();
  for (const line of readFileSync(VERSIONS_FILE, 'utf8').split('\n')) {
    const m = /^([A-Z_]+)=(?:"([^"]*)"|(\S*))\s*$/.exec(line);
    if (m !== null) out.set(m[1]!, m[2] ?? m[3] ?? '');
  }
  return out;
}

function version(key: string): string {
  const v = readToolVersions().get(key);
  if (v === undefined || v === '') throw new Error(`${VERSIONS_FILE} has no ${key}`);
  return v;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

interface GoEnv {
  readonly binDirs: readonly string[];
  readonly modCache: string;
}

let goEnvCache: GoEnv | null | undefined;

/** `go env`, or null when Go is not installed. */
function goEnv(): GoEnv | null {
  if (goEnvCache !== undefined) return goEnvCache;
  const r = spawnSync('go', ['env', 'GOBIN', 'GOPATH', 'GOMODCACHE'], { encoding: 'utf8' });
  if (r.status !== 0) {
    goEnvCache = null;
    return null;
  }
  const [gobin = '', gopath = '', modCache = ''] = r.stdout.split('\n').map((s) => s.trim());
  const binDirs = [gobin, ...gopath.split(delimiter).map((p) => (p === '' ? '' : join(p, 'bin')))];
  goEnvCache = { binDirs: binDirs.filter((d) => d !== ''), modCache };
  return goEnvCache;
}

/**
 * A tool: $REDRAFT_<NAME> if set, else where `go install` puts it (install.sh builds it
 * there), else the PATH.
 */
function findBinary(name: string): Found<string> {
  const override = process.env[`REDRAFT_${name.toUpperCase()}`];
  if (override !== undefined && override !== '') {
    return isExecutable(override)
      ? { ok: true, value: override }
      : { ok: false, reason: `REDRAFT_${name.toUpperCase()}=${override} is not executable` };
  }
  const dirs = [...(goEnv()?.binDirs ?? []), ...(process.env.PATH ?? '').split(delimiter)];
  for (const dir of dirs) {
    if (dir === '') continue;
    const path = join(dir, name);
    if (isExecutable(path)) return { ok: true, value: path };
  }
  return { ok: false, reason: `${name} is not installed` };
}

function moduleFile(module: string, moduleVersion: string, file: string): Found<string> {
  const env = goEnv();
  if (env === null)
    return { ok: false, reason: 'go is not installed (the schemas come from Go modules)' };
  const path = join(env.modCache, `${module}@${moduleVersion}`, file);
  return existsSync(path)
    ? { ok: true, value: path }
    : { ok: false, reason: `${path} is missing (Go module ${module}@${moduleVersion})` };
}

export function findHelm(): Found<string> {
  return findBinary('helm');
}

export function findDeployTools(): Found<DeployTools> {
  const helm = findBinary('helm');
  if (!helm.ok) return helm;
  const kubeconform = findBinary('kubeconform');
  if (!kubeconform.ok) return kubeconform;
  const kubernetesApis = new Map<string, string>();
  for (const v of version('KUBERNETES_VERSIONS').split(/\s+/)) {
    const swagger = moduleFile('k8s.io/kubernetes', v, 'api/openapi-spec/swagger.json');
    if (!swagger.ok) return swagger;
    kubernetesApis.set(v.replace(/^v/, ''), swagger.value);
  }
  const crd = moduleFile(
    version('PROMETHEUS_OPERATOR_MODULE'),
    version('PROMETHEUS_OPERATOR_VERSION'),
    'example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml',
  );
  if (!crd.ok) return crd;
  return {
    ok: true,
    value: {
      helm: helm.value,
      kubeconform: kubeconform.value,
      kubernetesApis,
      serviceMonitorCrd: crd.value,
    },
  };
}

/**
 * What a test file does when a tool is missing: under CI it registers a test that fails with
 * the reason (so the run cannot pass without the tools); elsewhere it returns the reason as a
 * skip message, which node's runner prints next to each skipped test.
 */
export function missingToolsOutcome(found: Found<unknown>): string | undefined {
  if (found.ok) return undefined;
  const reason = `${found.reason}; ${INSTALL_HINT}`;
  if (process.env.CI === 'true') {
    test('the deploy tools are installed (CI)', () => {
      throw new Error(`deploy tests cannot run: ${reason}`);
    });
  }
  return reason;
}
