/**
 * The parts of rendered Kubernetes objects the deploy tests read, typed as far as they use
 * them (the schemas check the rest), and finders that fail with a clear message.
 */

export interface ObjectMeta {
  readonly name: string;
  readonly namespace?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: ObjectMeta;
  readonly [field: string]: unknown;
}

export interface EnvVar {
  readonly name: string;
  readonly value?: string;
  readonly valueFrom?: {
    readonly fieldRef?: { readonly fieldPath: string };
    readonly secretKeyRef?: {
      readonly name: string;
      readonly key: string;
      readonly optional?: boolean;
    };
  };
}

export interface HttpProbe {
  readonly httpGet: {
    readonly path: string;
    readonly port: string | number;
    readonly scheme?: string;
  };
  readonly periodSeconds?: number;
  readonly timeoutSeconds?: number;
  readonly failureThreshold?: number;
  readonly successThreshold?: number;
}

export interface SecurityContext {
  readonly runAsNonRoot?: boolean;
  readonly runAsUser?: number;
  readonly runAsGroup?: number;
  readonly fsGroup?: number;
  readonly readOnlyRootFilesystem?: boolean;
  readonly allowPrivilegeEscalation?: boolean;
  readonly capabilities?: { readonly drop?: readonly string[]; readonly add?: readonly string[] };
  readonly seccompProfile?: { readonly type: string };
}

export interface Container {
  readonly name: string;
  readonly image: string;
  readonly command?: readonly string[];
  readonly args?: readonly string[];
  readonly env?: readonly EnvVar[];
  readonly ports?: readonly { readonly name?: string; readonly containerPort: number }[];
  readonly startupProbe?: HttpProbe;
  readonly readinessProbe?: HttpProbe;
  readonly livenessProbe?: HttpProbe;
  readonly lifecycle?: {
    readonly preStop?: { readonly exec?: { readonly command: readonly string[] } };
  };
  readonly securityContext?: SecurityContext;
  readonly volumeMounts?: readonly {
    readonly name: string;
    readonly mountPath: string;
    readonly readOnly?: boolean;
  }[];
  readonly resources?: {
    readonly requests?: Readonly<Record<string, string>>;
    readonly limits?: Readonly<Record<string, string>>;
  };
}

export interface LabelSelector {
  readonly matchLabels?: Readonly<Record<string, string>>;
}

export interface PodAffinityTerm {
  readonly topologyKey: string;
  readonly labelSelector?: LabelSelector;
}

export interface PodSpec {
  readonly containers: readonly Container[];
  readonly securityContext?: SecurityContext;
  readonly terminationGracePeriodSeconds?: number;
  readonly automountServiceAccountToken?: boolean;
  readonly enableServiceLinks?: boolean;
  readonly serviceAccountName?: string;
  readonly affinity?: {
    readonly podAntiAffinity?: {
      readonly requiredDuringSchedulingIgnoredDuringExecution?: readonly PodAffinityTerm[];
      readonly preferredDuringSchedulingIgnoredDuringExecution?: readonly {
        readonly weight: number;
        readonly podAffinityTerm: PodAffinityTerm;
      }[];
    };
  };
  readonly volumes?: readonly {
    readonly name: string;
    readonly emptyDir?: object;
    readonly secret?: { readonly secretName: string };
  }[];
}

export interface PodTemplate {
  readonly metadata: {
    readonly labels?: Readonly<Record<string, string>>;
    readonly annotations?: Readonly<Record<string, string>>;
  };
  readonly spec: PodSpec;
}

export interface StatefulSet extends KubeObject {
  readonly spec: {
    readonly replicas: number;
    readonly serviceName: string;
    readonly podManagementPolicy?: string;
    readonly selector: LabelSelector;
    readonly template: PodTemplate;
    readonly persistentVolumeClaimRetentionPolicy?: {
      readonly whenDeleted: string;
      readonly whenScaled: string;
    };
    readonly volumeClaimTemplates?: readonly {
      readonly metadata: ObjectMeta;
      readonly spec: { readonly resources: { readonly requests: { readonly storage: string } } };
    }[];
  };
}

export interface Service extends KubeObject {
  readonly spec: {
    readonly type?: string;
    readonly clusterIP?: string;
    readonly publishNotReadyAddresses?: boolean;
    readonly selector: Readonly<Record<string, string>>;
    readonly ports: readonly {
      readonly name: string;
      readonly port: number;
      readonly targetPort: string | number;
    }[];
  };
}

export interface Job extends KubeObject {
  readonly spec: { readonly backoffLimit?: number; readonly template: PodTemplate };
}

export interface Pod extends KubeObject {
  readonly spec: PodSpec;
}

export interface Secret extends KubeObject {
  readonly type?: string;
  readonly data?: Readonly<Record<string, string>>;
}

export function findAll(objects: readonly KubeObject[], kind: string): KubeObject[] {
  return objects.filter((o) => o.kind === kind);
}

/** The one object of `kind` (named `name` if given); throws when there is not exactly one. */
export function findOne(objects: readonly KubeObject[], kind: string, name?: string): KubeObject {
  const found = objects.filter(
    (o) => o.kind === kind && (name === undefined || o.metadata.name === name),
  );
  if (found.length !== 1) {
    const all = objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ');
    throw new Error(
      `expected one ${kind}${name === undefined ? '' : ` ${name}`}, found ${found.length} among: ${all}`,
    );
  }
  return found[0]!;
}

/** The container named `name` of a pod spec. */
export function container(spec: PodSpec, name: string): Container {
  const c = spec.containers.find((x) => x.name === name);
  if (c === undefined) throw new Error(`no container ${name}`);
  return c;
}

/** An env entry's literal value; throws if it is absent or not a literal. */
export function envValue(c: Container, name: string): string {
  const e = c.env?.find((x) => x.name === name);
  if (e?.value === undefined) throw new Error(`container ${c.name} has no literal env ${name}`);
  return e.value;
}

/** Whether every label of `selector` is among `labels`. */
export function selects(
  selector: Readonly<Record<string, string>> | undefined,
  labels: Readonly<Record<string, string>> | undefined,
): boolean {
  if (selector === undefined || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}
