/**
 * Validates rendered manifests against the Kubernetes API schemas, offline.
 *
 * kubeconform normally downloads JSON schemas that were generated from the Kubernetes OpenAPI
 * documents; here the same kind of schemas is generated from the OpenAPI document that ships
 * in the k8s.io/kubernetes Go module (api/openapi-spec/swagger.json) and from the
 * ServiceMonitor CRD of the prometheus-operator module, into kubeconform's directory layout
 * (`v<version>-standalone-strict/<kind>-<group>-<version>.json`), and kubeconform reads them
 * from there. "Strict" as in kubeconform's own schemas: every object that lists its
 * properties refuses others, so a misspelt or misplaced field fails instead of being ignored.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import type { KubeObject } from './manifests.js';

const run = promisify(execFile);

type Schema = Record<string, unknown>;

interface Swagger {
  readonly definitions: Readonly<Record<string, Schema>>;
}

interface GroupVersionKind {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
}

/** kubeconform's file name for a kind: `<kind>[-<first label of group>]-<version>.json`. */
export function schemaFileName(apiVersion: string, kind: string): string {
  const [groupOrVersion, version] = apiVersion.split('/');
  const suffix =
    version === undefined
      ? `-${groupOrVersion!.toLowerCase()}`
      : `-${groupOrVersion!.split('.')[0]!.toLowerCase()}-${version.toLowerCase()}`;
  return `${kind.toLowerCase()}${suffix}.json`;
}

/** Kubernetes' "int or string" and quantities, as JSON Schema has no such type. */
const SPECIAL_DEFINITIONS: Readonly<Record<string, Schema>> = {
  'io.k8s.apimachinery.pkg.util.intstr.IntOrString': {
    oneOf: [{ type: 'string' }, { type: 'integer' }],
  },
  'io.k8s.apimachinery.pkg.api.resource.Quantity': {
    oneOf: [{ type: 'string' }, { type: 'number' }],
  },
};

/**
 * A copy of `schema` in which every object schema that lists properties forbids others,
 * unless it says it keeps unknown fields; CRD schemas' x-kubernetes-int-or-string becomes a
 * oneOf.
 */
function strict(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(strict);
  if (typeof schema !== 'object' || schema === null) return schema;
  const out: Schema = {};
  for (const [k, v] of Object.entries(schema)) {
    out[k] = k === 'enum' || k === 'required' || k === 'example' || k === 'default' ? v : strict(v);
  }
  if (out['x-kubernetes-int-or-string'] === true) {
    delete out.type;
    delete out.format;
    return { ...out, oneOf: [{ type: 'string' }, { type: 'integer' }] };
  }
  if (
    out.properties !== undefined &&
    out.additionalProperties === undefined &&
    out['x-kubernetes-preserve-unknown-fields'] !== true
  ) {
    out.additionalProperties = false;
  }
  return out;
}

/** The definitions `root` reaches through `#/definitions/...` references. */
function reachableDefinitions(swagger: Swagger, root: string): Map<string, Schema> {
  const out = new Map<string, Schema>();
  const pending = [root];
  while (pending.length > 0) {
    const name = pending.pop()!;
    if (out.has(name)) continue;
    const definition = SPECIAL_DEFINITIONS[name] ?? swagger.definitions[name];
    if (definition === undefined) throw new Error(`the OpenAPI document has no definition ${name}`);
    out.set(name, definition);
    JSON.stringify(definition, (key, value: unknown) => {
      if (key === '$ref' && typeof value === 'string' && value.startsWith('#/definitions/')) {
        pending.push(value.slice('#/definitions/'.length));
      }
      return value;
    });
  }
  return out;
}

function gvks(definition: Schema): GroupVersionKind[] {
  const v = definition['x-kubernetes-group-version-kind'];
  return Array.isArray(v) ? (v as GroupVersionKind[]) : [];
}

/**
 * Writes the schema of every (apiVersion, kind) in `wanted` for Kubernetes `version` under
 * `root`, taking them from the OpenAPI document at `swaggerPath` or, for custom resources,
 * from the CRDs (YAML files). Throws for a kind neither knows.
 */
export function writeSchemas(options: {
  readonly root: string;
  readonly version: string;
  readonly swaggerPath: string;
  readonly crdPaths: readonly string[];
  readonly wanted: ReadonlySet<string>;
}): void {
  const dir = join(options.root, `v${options.version}-standalone-strict`);
  mkdirSync(dir, { recursive: true });
  const swagger = JSON.parse(readFileSync(options.swaggerPath, 'utf8')) as Swagger;
  const byGvk = new Map<string, string>();
  for (const [name, definition] of Object.entries(swagger.definitions)) {
    for (const g of gvks(definition)) {
      byGvk.set(`${g.group === '' ? '' : `${g.group}/`}${g.version} ${g.kind}`, name);
    }
  }
  const crdSchemas = new Map<string, unknown>();
  for (const path of options.crdPaths) {
    const crd = parse(readFileSync(path, 'utf8')) as {
      spec: {
        group: string;
        names: { kind: string };
        versions: { name: string; schema: { openAPIV3Schema: unknown } }[];
      };
    };
    for (const v of crd.spec.versions) {
      crdSchemas.set(
        `${crd.spec.group}/${v.name} ${crd.spec.names.kind}`,
        v.schema.openAPIV3Schema,
      );
    }
  }
  for (const key of options.wanted) {
    const [apiVersion = '', kind = ''] = key.split(' ');
    let schema: unknown;
    const definitionName = byGvk.get(key);
    if (definitionName !== undefined) {
      const definitions = Object.fromEntries(
        [...reachableDefinitions(swagger, definitionName)].map(([n, d]) => [n, strict(d)]),
      );
      schema = {
        $schema: 'http://json-schema.org/draft-07/schema#',
        ...(definitions[definitionName] as Schema),
        definitions,
      };
    } else if (crdSchemas.has(key)) {
      schema = {
        $schema: 'http://json-schema.org/draft-07/schema#',
        ...(strict(crdSchemas.get(key)) as Schema),
      };
    } else {
      throw new Error(
        `no schema for ${kind} ${apiVersion} in Kubernetes ${options.version} or the CRDs`,
      );
    }
    writeFileSync(join(dir, schemaFileName(apiVersion, kind)), JSON.stringify(schema));
  }
}

export interface Conformance {
  readonly valid: number;
  /** One line per invalid resource or error, empty when all are valid. */
  readonly problems: readonly string[];
}

interface KubeconformOutput {
  readonly resources?: readonly {
    readonly filename: string;
    readonly kind: string;
    readonly name: string;
    readonly status: string;
    readonly msg: string;
  }[];
  readonly summary: {
    readonly valid: number;
    readonly invalid: number;
    readonly errors: number;
    readonly skipped: number;
  };
}

/**
 * Runs kubeconform over `manifestPath` (YAML) with the schemas under `schemaRoot` (written by
 * {@link writeSchemas} for `version`): strict, and no resource may be skipped for want of a
 * schema.
 */
export async function kubeconform(options: {
  readonly binary: string;
  readonly schemaRoot: string;
  readonly version: string;
  readonly manifestPath: string;
}): Promise<Conformance> {
  let stdout: string;
  try {
    ({ stdout } = await run(
      options.binary,
      [
        '-strict',
        '-summary',
        '-output',
        'json',
        '-kubernetes-version',
        options.version,
        '-schema-location',
        options.schemaRoot,
        options.manifestPath,
      ],
      { maxBuffer: 16 * 1024 * 1024 },
    ));
  } catch (err) {
    // Exit status 1: some resource is invalid; the JSON report is still on stdout.
    const e = err as { stdout?: string; stderr?: string; message: string };
    if (e.stdout === undefined || e.stdout === '')
      throw new Error(`kubeconform failed: ${e.stderr ?? e.message}`);
    stdout = e.stdout;
  }
  const report = JSON.parse(stdout) as KubeconformOutput;
  const problems = (report.resources ?? [])
    .filter((r) => r.status !== 'statusValid')
    .map((r) => `${r.kind}/${r.name}: ${r.status}: ${r.msg}`);
  const { summary } = report;
  if (summary.skipped > 0) problems.push(`${summary.skipped} resource(s) skipped`);
  return { valid: summary.valid, problems };
}

/** The "apiVersion kind" keys of `objects`, as {@link writeSchemas} wants them. */
export function kindsOf(objects: readonly KubeObject[]): Set<string> {
  return new Set(objects.map((o) => `${o.apiVersion} ${o.kind}`));
}
