/**
 * What a container's process gets from Kubernetes: its environment (literal values with
 * `$(VAR)` references expanded, downward-API fields, Secret keys) and its command line with the
 * same expansion, following the kubelet's rules, so that tests can run the chart's containers
 * as they would run in a pod.
 */
import type { Container, KubeObject, Secret } from './manifests.js';

/** The pod facts the downward API hands out. */
export interface PodFacts {
  readonly name: string;
  readonly namespace: string;
  readonly ip: string;
}

/**
 * Kubernetes' expansion of `$(NAME)` in env values, commands and args: a reference to a
 * defined variable is replaced, `$$` stands for a literal `$`, anything else stays as written.
 */
export function expandReferences(
  input: string,
  lookup: (name: string) => string | undefined,
): string {
  let out = '';
  for (let i = 0; i < input.length; i++) {
    const ch = input[i]!;
    if (ch === '$' && input[i + 1] === '$') {
      out += '$';
      i++;
    } else if (ch === '$' && input[i + 1] === '(') {
      const close = input.indexOf(')', i + 2);
      const name = close < 0 ? '' : input.slice(i + 2, close);
      const value = /^[A-Za-z_][A-Za-z0-9_.-]*$/.test(name) ? lookup(name) : undefined;
      if (value === undefined) {
        out += ch;
      } else {
        out += value;
        i = close;
      }
    } else {
      out += ch;
    }
  }
  return out;
}

const FIELDS: Readonly<Record<string, (pod: PodFacts) => string>> = {
  'metadata.name': (pod) => pod.name,
  'metadata.namespace': (pod) => pod.namespace,
  'status.podIP': (pod) => pod.ip,
};

/**
 * The container's environment, in order. An entry sees only the entries before it; a missing
 * optional Secret key leaves its variable out, a missing required one throws (the kubelet would
 * not start the container).
 */
export function containerEnvironment(
  c: Container,
  pod: PodFacts,
  objects: readonly KubeObject[],
): Map<string, string> {
  const env = new Map<string, string>();
  for (const e of c.env ?? []) {
    const field = e.valueFrom?.fieldRef?.fieldPath;
    const secretRef = e.valueFrom?.secretKeyRef;
    if (field !== undefined) {
      const read = FIELDS[field];
      if (read === undefined)
        throw new Error(`env ${e.name}: downward API field ${field} is not emulated`);
      env.set(e.name, read(pod));
    } else if (secretRef !== undefined) {
      const secret = objects.find(
        (o): o is Secret => o.kind === 'Secret' && o.metadata.name === secretRef.name,
      );
      const data = secret?.data?.[secretRef.key];
      if (data !== undefined) env.set(e.name, Buffer.from(data, 'base64').toString('utf8'));
      else if (secretRef.optional !== true) {
        throw new Error(`env ${e.name}: Secret ${secretRef.name} has no key ${secretRef.key}`);
      }
    } else {
      env.set(
        e.name,
        expandReferences(e.value ?? '', (name) => env.get(name)),
      );
    }
  }
  return env;
}

/** The command line: command then args, each expanded against the container's environment. */
export function containerArgv(c: Container, env: ReadonlyMap<string, string>): string[] {
  const argv = [...(c.command ?? []), ...(c.args ?? [])];
  if (argv.length === 0)
    throw new Error(`container ${c.name} sets no command: the image's would run`);
  return argv.map((a) => expandReferences(a, (name) => env.get(name)));
}
