/**
 * `helm template` and `helm lint` over the chart, with values given as an object (written to a
 * temporary JSON file, which helm reads as YAML), and the rendered manifests parsed.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from './manifests.js';
import { CHART_DIR } from './tools.js';

const run = promisify(execFile);

export type Values = Readonly<Record<string, unknown>>;

export interface RenderOptions {
  readonly values?: Values;
  /** The Kubernetes version helm assumes (Capabilities.KubeVersion). */
  readonly kubeVersion: string;
  readonly release?: string;
  readonly namespace?: string;
}

export interface HelmResult {
  readonly ok: boolean;
  readonly stdout: string;
  readonly stderr: string;
}

async function helm(binary: string, args: readonly string[], values: Values): Promise<HelmResult> {
  const dir = mkdtempSync(join(tmpdir(), 'redraft-helm-'));
  try {
    const file = join(dir, 'values.json');
    writeFileSync(file, JSON.stringify(values));
    const { stdout, stderr } = await run(binary, [...args, '--values', file], {
      maxBuffer: 64 * 1024 * 1024,
      // helm keeps its own cache and config; a fresh HOME-independent place keeps it from
      // reading a developer's repositories or plugins.
      env: { ...process.env, HELM_CACHE_HOME: dir, HELM_CONFIG_HOME: dir, HELM_DATA_HOME: dir },
    });
    return { ok: true, stdout, stderr };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    return { ok: false, stdout: e.stdout ?? '', stderr: e.stderr ?? e.message };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `helm template`; `ok` false with helm's message when the chart refuses the values. */
export function helmTemplate(binary: string, options: RenderOptions): Promise<HelmResult> {
  return helm(
    binary,
    [
      'template',
      options.release ?? 'db',
      CHART_DIR,
      '--namespace',
      options.namespace ?? 'prod',
      '--kube-version',
      options.kubeVersion,
    ],
    options.values ?? {},
  );
}

/** `helm lint --strict` (warnings fail too). */
export function helmLint(binary: string, options: RenderOptions): Promise<HelmResult> {
  return helm(
    binary,
    [
      'lint',
      '--strict',
      CHART_DIR,
      '--namespace',
      options.namespace ?? 'prod',
      '--kube-version',
      options.kubeVersion,
    ],
    options.values ?? {},
  );
}

/**
 * NOTES.txt as `helm install` would print it. Helm renders NOTES only when it installs (which
 * needs a cluster), so this renders a copy of the chart in which the same NOTES.txt text is a
 * named template that a ConfigMap includes.
 */
export async function helmNotes(binary: string, options: RenderOptions): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'redraft-notes-'));
  try {
    const chart = join(dir, 'redraft');
    cpSync(CHART_DIR, chart, { recursive: true });
    const notes = readFileSync(join(chart, 'templates', 'NOTES.txt'), 'utf8');
    rmSync(join(chart, 'templates', 'NOTES.txt'));
    writeFileSync(
      join(chart, 'templates', '_notes-under-test.tpl'),
      `{{- define "notes-under-test" -}}\n${notes}{{- end -}}\n`,
    );
    writeFileSync(
      join(chart, 'templates', 'notes-under-test.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes\ndata:\n  notes: {{ include "notes-under-test" . | quote }}\n',
    );
    const r = await helm(
      binary,
      [
        'template',
        options.release ?? 'db',
        chart,
        '--namespace',
        options.namespace ?? 'prod',
        '--kube-version',
        options.kubeVersion,
        '--show-only',
        'templates/notes-under-test.yaml',
      ],
      options.values ?? {},
    );
    if (!r.ok) throw new Error(`rendering NOTES.txt failed: ${r.stderr}`);
    const [configMap] = parseManifests(r.stdout);
    const text = (configMap as { data?: { notes?: unknown } } | undefined)?.data?.notes;
    if (typeof text !== 'string') throw new Error(`no notes rendered:\n${r.stdout}`);
    return text;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The objects of a multi-document YAML stream (empty documents dropped). */
export function parseManifests(yaml: string): KubeObject[] {
  const out: KubeObject[] = [];
  for (const doc of parseAllDocuments(yaml)) {
    if (doc.errors.length > 0) throw new Error(`invalid YAML from helm: ${doc.errors[0]!.message}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    if (typeof value !== 'object' || Array.isArray(value)) {
      throw new Error(`a rendered document is not an object: ${JSON.stringify(value)}`);
    }
    out.push(value as KubeObject);
  }
  return out;
}

/** Renders and parses; throws with helm's message if the chart refuses the values. */
export async function renderChart(binary: string, options: RenderOptions): Promise<KubeObject[]> {
  const r = await helmTemplate(binary, options);
  if (!r.ok) throw new Error(`helm template failed: ${r.stderr}`);
  return parseManifests(r.stdout);
}
