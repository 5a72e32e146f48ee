/**
 * The Helm chart (deploy/helm/redraft): `helm lint --strict` and `helm template` over the
 * default values and several value sets, every rendered manifest validated against the
 * Kubernetes API schemas of the oldest supported and a current Kubernetes release (strict:
 * unknown fields fail), the values schema's and the templates' refusals, and the properties the
 * cluster's safety rests on (identities, probes, disruption budget, spreading, security).
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { envName, parseServerConfig, SERVER_FLAGS } from '../../cmd/config.js';
import {
  helmLint,
  helmNotes,
  helmTemplate,
  parseManifests,
  renderChart,
  type Values,
} from './support/helm.js';
import { kindsOf, kubeconform, writeSchemas } from './support/kubernetes-schemas.js';
import {
  container,
  envValue,
  findAll,
  findOne,
  selects,
  type Container,
  type Job,
  type KubeObject,
  type Pod,
  type PodSpec,
  type Secret,
  type Service,
  type StatefulSet,
} from './support/manifests.js';
import { containerArgv, containerEnvironment } from './support/pod-environment.js';
import { captureRedraftInvocation, type Invocation } from './support/redraft-on-path.js';
import { findDeployTools, missingToolsOutcome, type DeployTools } from './support/tools.js';

const found = findDeployTools();
const skip = missingToolsOutcome(found);
const tools: DeployTools | undefined = found.ok ? found.value : undefined;

const RELEASE = 'db';
const NAMESPACE = 'prod';
const FULLNAME = 'db-redraft';
const HEADLESS = 'db-redraft-headless';
const MEMBERS_DOMAIN = `${HEADLESS}.${NAMESPACE}.svc.cluster.local`;
const CLIENT_HOST = `${FULLNAME}.${NAMESPACE}.svc.cluster.local`;
/** Kubernetes versions the manifests are validated for; the first is the oldest supported. */
const KUBE_VERSIONS = tools === undefined ? [] : [...tools.kubernetesApis.keys()];
const CURRENT_KUBE = KUBE_VERSIONS[KUBE_VERSIONS.length - 1] ?? '1.36.3';

const VALUE_SETS: readonly { readonly name: string; readonly values: Values }[] = [
  { name: 'defaults (3 replicas)', values: {} },
  { name: '1 replica', values: { replicas: 1, cluster: { initialReplicas: 1 } } },
  { name: '5 replicas, 3 founders', values: { replicas: 5 } },
  { name: '5 replicas, 5 founders', values: { replicas: 5, cluster: { initialReplicas: 5 } } },
  { name: 'TLS on', values: { tls: { enabled: true } } },
  { name: 'auth on', values: { auth: { enabled: true } } },
  { name: 'persistence off', values: { persistence: { enabled: false } } },
  {
    name: 'existing secrets',
    values: {
      tls: { enabled: true, existingSecret: 'db-certs' },
      auth: { enabled: true, existingSecret: 'db-credentials' },
    },
  },
  {
    name: 'everything on',
    values: {
      replicas: 5,
      tls: { enabled: true, clientAuth: true },
      auth: { enabled: true, password: 'correct horse', token: 'battery staple' },
      networkPolicy: {
        enabled: true,
        allowExternal: false,
        ingressFrom: [
          { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } },
        ],
      },
      metrics: { serviceMonitor: { enabled: true, labels: { release: 'prometheus' } } },
      antiAffinity: 'hard',
      topologySpreadConstraints: [
        {
          maxSkew: 1,
          topologyKey: 'topology.kubernetes.io/zone',
          whenUnsatisfiable: 'ScheduleAnyway',
          labelSelector: { matchLabels: { 'app.kubernetes.io/name': 'redraft' } },
        },
      ],
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'db', effect: 'NoSchedule' }],
      nodeSelector: { 'kubernetes.io/os': 'linux' },
      priorityClassName: 'high',
      podAnnotations: { team: 'storage' },
      podLabels: { tier: 'data' },
      extraEnv: [{ name: 'REDRAFT_MAX_ENTRY_BYTES', value: '1048576' }],
      extraArgs: ['--proto-max-bulk-len=1048576'],
      service: { type: 'LoadBalancer', annotations: { 'example.com/internal': 'true' } },
      persistence: { storageClass: 'fast', size: '20Gi', annotations: { backup: 'daily' } },
      imagePullSecrets: [{ name: 'registry' }],
      serviceAccount: { annotations: { 'example.com/role': 'db' } },
    },
  },
];

const renders = new Map<string, KubeObject[]>();

async function render(values: Values, kubeVersion = CURRENT_KUBE): Promise<KubeObject[]> {
  const key = `${kubeVersion} ${JSON.stringify(values)}`;
  let objects = renders.get(key);
  if (objects === undefined) {
    objects = await renderChart(tools!.helm, {
      values,
      kubeVersion,
      release: RELEASE,
      namespace: NAMESPACE,
    });
    renders.set(key, objects);
  }
  return objects;
}

function statefulSet(objects: readonly KubeObject[]): StatefulSet {
  return findOne(objects, 'StatefulSet', FULLNAME) as StatefulSet;
}

function server(objects: readonly KubeObject[]): Container {
  return container(statefulSet(objects).spec.template.spec, 'redraft');
}

/** Every pod the chart can create: members, the scale-down Job's pod and the test pod. */
function podSpecs(objects: readonly KubeObject[]): { name: string; spec: PodSpec }[] {
  return [
    ...findAll(objects, 'StatefulSet').map((o) => ({
      name: o.metadata.name,
      spec: (o as StatefulSet).spec.template.spec,
    })),
    ...findAll(objects, 'Job').map((o) => ({
      name: o.metadata.name,
      spec: (o as Job).spec.template.spec,
    })),
    ...findAll(objects, 'Pod').map((o) => ({ name: o.metadata.name, spec: (o as Pod).spec })),
  ];
}

function decode(secret: Secret, key: string): string {
  const v = secret.data?.[key];
  assert.ok(v !== undefined, `secret ${secret.metadata.name} has no ${key}`);
  return Buffer.from(v, 'base64').toString('utf8');
}

/**
 * The command line and environment `redraft` gets in pod `ordinal`: the container's rendered
 * command (the entrypoint script) run as Kubernetes would run it, with a stand-in `redraft`
 * that records them.
 */
function memberInvocation(
  objects: readonly KubeObject[],
  ordinal: number,
  adminOutput?: string,
): Invocation {
  const c = server(objects);
  const pod = {
    name: `${FULLNAME}-${ordinal}`,
    namespace: NAMESPACE,
    ip: `10.1.0.${ordinal + 10}`,
  };
  const env = containerEnvironment(c, pod, objects);
  return captureRedraftInvocation(containerArgv(c, env), env, adminOutput);
}

describe('helm chart', { skip }, () => {
  let schemaRoot = '';

  before(() => {
    schemaRoot = mkdtempSync(join(tmpdir(), 'redraft-k8s-schemas-'));
  });
  after(() => {
    if (schemaRoot !== '') rmSync(schemaRoot, { recursive: true, force: true });
  });

  for (const set of VALUE_SETS) {
    it(`${set.name}: helm lint --strict passes`, async () => {
      const r = await helmLint(tools!.helm, { values: set.values, kubeVersion: CURRENT_KUBE });
      assert.ok(r.ok, `helm lint failed:\n${r.stdout}\n${r.stderr}`);
    });

    for (const kubeVersion of KUBE_VERSIONS) {
      it(`${set.name}: renders manifests valid for Kubernetes ${kubeVersion}`, async () => {
        const r = await helmTemplate(tools!.helm, {
          values: set.values,
          kubeVersion,
          release: RELEASE,
          namespace: NAMESPACE,
        });
        assert.ok(r.ok, `helm template failed: ${r.stderr}`);
        const objects = parseManifests(r.stdout);
        writeSchemas({
          root: schemaRoot,
          version: kubeVersion,
          swaggerPath: tools!.kubernetesApis.get(kubeVersion)!,
          crdPaths: [tools!.serviceMonitorCrd],
          wanted: kindsOf(objects),
        });
        const manifestPath = join(schemaRoot, `manifest-${kubeVersion}.yaml`);
        writeFileSync(manifestPath, r.stdout);
        const result = await kubeconform({
          binary: tools!.kubeconform,
          schemaRoot,
          version: kubeVersion,
          manifestPath,
        });
        assert.deepEqual(result.problems, []);
        assert.equal(result.valid, objects.length, 'every rendered object was validated');
      });
    }
  }

  it('the schema check fails what the API server would refuse: unknown fields and wrong types', async () => {
    const objects = await render({});
    const sts = structuredClone(statefulSet(objects)) as StatefulSet & {
      spec: Record<string, unknown>;
    };
    sts.spec.replica = 3;
    const svc = structuredClone(findOne(objects, 'Service', FULLNAME) as Service) as unknown as {
      spec: { ports: { port: unknown }[] };
    };
    svc.spec.ports[0]!.port = 'six';
    const pdb = structuredClone(findOne(objects, 'PodDisruptionBudget', FULLNAME)) as unknown as {
      spec: { selector: { matchLabels?: unknown; matchLabelz?: unknown } };
    };
    pdb.spec.selector.matchLabelz = pdb.spec.selector.matchLabels;
    const broken = [sts, svc, pdb];
    writeSchemas({
      root: schemaRoot,
      version: CURRENT_KUBE,
      swaggerPath: tools!.kubernetesApis.get(CURRENT_KUBE)!,
      crdPaths: [],
      wanted: kindsOf(objects),
    });
    const manifestPath = join(schemaRoot, 'broken.yaml');
    writeFileSync(manifestPath, broken.map((o) => stringify(o)).join('---\n'));
    const result = await kubeconform({
      binary: tools!.kubeconform,
      schemaRoot,
      version: CURRENT_KUBE,
      manifestPath,
    });
    assert.equal(result.valid, 0);
    assert.equal(result.problems.length, 3, result.problems.join('\n'));
    assert.match(result.problems.join('\n'), /StatefulSet.*replica/);
    assert.match(result.problems.join('\n'), /Service.*port/);
    assert.match(result.problems.join('\n'), /PodDisruptionBudget.*matchLabelz/);
  });

  describe('refuses bad values', () => {
    const refusals: readonly { readonly values: Values; readonly message: RegExp }[] = [
      { values: { replicas: 0 }, message: /\/replicas.*minimum/ },
      { values: { replicas: -3 }, message: /\/replicas.*minimum/ },
      { values: { replicas: '3' }, message: /\/replicas.*got string, want integer/ },
      { values: { replicas: 2.5 }, message: /\/replicas.*want integer/ },
      {
        values: { cluster: { initialReplicas: 0 } },
        message: /\/cluster\/initialReplicas.*minimum/,
      },
      { values: { cluster: { tickMs: 'fast' } }, message: /\/cluster\/tickMs.*want integer/ },
      {
        values: { cluster: { readConsistency: 'eventual' } },
        message: /\/cluster\/readConsistency.*one of/,
      },
      {
        values: { cluster: { listenAddress: '0.0.0.0:6379' } },
        message: /\/cluster\/listenAddress/,
      },
      { values: { ports: { resp: 70000 } }, message: /\/ports\/resp.*maximum/ },
      { values: { persistence: { size: 'big' } }, message: /\/persistence\/size/ },
      {
        values: { persistence: { enabled: 'yes' } },
        message: /\/persistence\/enabled.*want boolean/,
      },
      { values: { antiAffinity: 'sometimes' }, message: /\/antiAffinity.*one of/ },
      {
        values: { podDisruptionBudget: { maxUnavailable: 0 } },
        message: /\/podDisruptionBudget\/maxUnavailable/,
      },
      { values: { replica: 3 }, message: /additional properties 'replica' not allowed/ },
      {
        values: { tls: { enabled: true, autoGenerate: false } },
        message: /tls.enabled needs tls.existingSecret or tls.autoGenerate/,
      },
      {
        values: { replicas: 2 },
        message: /replicas \(2\) must be at least cluster.initialReplicas \(3\)/,
      },
      {
        values: { cluster: { heartbeatTicks: 10 } },
        message: /heartbeatTicks must be smaller than cluster.electionTicks/,
      },
      {
        values: { preStopDelaySeconds: 60 },
        message: /preStopDelaySeconds must be shorter than terminationGracePeriodSeconds/,
      },
    ];
    for (const { values, message } of refusals) {
      it(JSON.stringify(values), async () => {
        const r = await helmTemplate(tools!.helm, { values, kubeVersion: CURRENT_KUBE });
        assert.equal(r.ok, false, 'helm template accepted the values');
        assert.match(r.stderr, message);
      });
    }
  });

  it('NOTES.txt warns about an even replica count, and only then', async () => {
    const even = await helmNotes(tools!.helm, {
      values: { replicas: 4 },
      kubeVersion: CURRENT_KUBE,
    });
    assert.match(
      even,
      /WARNING: replicas is even \(4\)\. A majority of 4 is 3, so it tolerates\s+1 failure/,
    );
    for (const replicas of [3, 5]) {
      const odd = await helmNotes(tools!.helm, { values: { replicas }, kubeVersion: CURRENT_KUBE });
      assert.doesNotMatch(odd, /WARNING/);
    }
  });

  it('NOTES.txt says how to connect, with the CA and the password when TLS and auth are on', async () => {
    const plain = await helmNotes(tools!.helm, {
      values: {},
      kubeVersion: CURRENT_KUBE,
      release: RELEASE,
      namespace: NAMESPACE,
    });
    assert.match(plain, new RegExp(`RESP \\(Redis clients\\)\\s+${CLIENT_HOST}:6379`));
    assert.match(
      plain,
      new RegExp(`kubectl -n ${NAMESPACE} port-forward svc/${FULLNAME} 6379:6379`),
    );
    assert.match(plain, /redis-cli -p 6379 LEADER/);
    const secured = await helmNotes(tools!.helm, {
      values: { tls: { enabled: true }, auth: { enabled: true } },
      kubeVersion: CURRENT_KUBE,
      release: RELEASE,
      namespace: NAMESPACE,
    });
    assert.match(secured, /redis-cli -p 6379 --tls --cacert ca.crt --askpass LEADER/);
    assert.match(
      secured,
      new RegExp(`get secret ${FULLNAME}-tls -o jsonpath='\\{\\.data\\.ca\\\\\\.crt\\}'`),
    );
    assert.match(
      secured,
      new RegExp(`get secret ${FULLNAME}-auth -o jsonpath='\\{\\.data\\.password\\}'`),
    );
  });

  it('members are restricted pods: non-root, read-only root filesystem, no capabilities, RuntimeDefault seccomp', async () => {
    for (const values of [{}, VALUE_SETS[VALUE_SETS.length - 1]!.values]) {
      const pods = podSpecs(await render(values));
      assert.deepEqual(pods.map((p) => p.name).sort(), [
        FULLNAME,
        `${FULLNAME}-scale-down`,
        `${FULLNAME}-test`,
      ]);
      for (const { name, spec } of pods) {
        assert.equal(spec.securityContext?.runAsNonRoot, true, `${name}: runAsNonRoot`);
        assert.equal(
          spec.securityContext.seccompProfile?.type,
          'RuntimeDefault',
          `${name}: seccomp`,
        );
        assert.equal(spec.automountServiceAccountToken, false, `${name}: no API token`);
        for (const c of spec.containers) {
          const sc = c.securityContext;
          assert.equal(sc?.readOnlyRootFilesystem, true, `${name}/${c.name}: read-only root`);
          assert.equal(
            sc.allowPrivilegeEscalation,
            false,
            `${name}/${c.name}: no privilege escalation`,
          );
          assert.deepEqual(sc.capabilities?.drop, ['ALL'], `${name}/${c.name}: drops ALL`);
          assert.equal(sc.capabilities.add, undefined, `${name}/${c.name}: adds none`);
          const user = sc.runAsUser ?? spec.securityContext.runAsUser;
          assert.ok(user !== undefined && user > 0, `${name}/${c.name}: a numeric non-root user`);
          assert.ok(
            c.resources?.requests !== undefined && c.resources.limits?.memory !== undefined,
            `${name}/${c.name}: resources`,
          );
        }
      }
    }
  });

  it('the members write only to their volumes: the data directory and /tmp', async () => {
    const objects = await render({});
    const c = server(objects);
    const mounts = new Map((c.volumeMounts ?? []).map((m) => [m.mountPath, m.name]));
    assert.equal(envValue(c, 'REDRAFT_DATA_DIR'), '/var/lib/redraft');
    assert.equal(mounts.get('/var/lib/redraft'), 'data');
    assert.equal(mounts.get('/tmp'), 'tmp');
    const sts = statefulSet(objects);
    assert.deepEqual(
      sts.spec.volumeClaimTemplates?.map((t) => [
        t.metadata.name,
        t.spec.resources.requests.storage,
      ]),
      [['data', '8Gi']],
    );
    assert.deepEqual(sts.spec.persistentVolumeClaimRetentionPolicy, {
      whenDeleted: 'Retain',
      whenScaled: 'Delete',
    });

    const ephemeral = statefulSet(await render({ persistence: { enabled: false } }));
    assert.equal(ephemeral.spec.volumeClaimTemplates, undefined);
    assert.equal(ephemeral.spec.persistentVolumeClaimRetentionPolicy, undefined);
    assert.ok(
      ephemeral.spec.template.spec.volumes?.some(
        (v) => v.name === 'data' && v.emptyDir !== undefined,
      ),
    );
  });

  it('probes: startup and liveness on /livez, readiness on /readyz, over HTTPS when TLS is on', async () => {
    for (const [values, scheme] of [
      [{}, 'HTTP'],
      [{ tls: { enabled: true } }, 'HTTPS'],
    ] as const) {
      const c = server(await render(values));
      const httpPort = c.ports?.find((p) => p.name === 'http');
      assert.ok(httpPort !== undefined);
      assert.equal(httpPort.containerPort, 8080);
      for (const [probe, path] of [
        [c.startupProbe, '/livez'],
        [c.livenessProbe, '/livez'],
        [c.readinessProbe, '/readyz'],
      ] as const) {
        assert.ok(probe !== undefined);
        assert.deepEqual(probe.httpGet, { path, port: 'http', scheme });
      }
      // A long log replay must not be mistaken for a hung member.
      assert.ok(c.startupProbe!.periodSeconds! * c.startupProbe!.failureThreshold! >= 120);
    }
  });

  it('stable identities: the headless Service names every member before it is ready, and the founders bootstrap from those names', async () => {
    for (const [replicas, initialReplicas] of [
      [1, 1],
      [3, 3],
      [5, 3],
      [5, 5],
    ] as const) {
      const objects = await render({ replicas, cluster: { initialReplicas } });
      const sts = statefulSet(objects);
      const podLabels = sts.spec.template.metadata.labels;
      assert.equal(sts.spec.replicas, replicas);
      assert.equal(sts.spec.podManagementPolicy, 'Parallel');
      assert.equal(sts.spec.serviceName, HEADLESS);
      assert.ok(selects(sts.spec.selector.matchLabels, podLabels));
      const headless = findOne(objects, 'Service', HEADLESS) as Service;
      assert.equal(headless.spec.clusterIP, 'None');
      assert.equal(headless.spec.publishNotReadyAddresses, true);
      assert.ok(selects(headless.spec.selector, podLabels));
      assert.ok(headless.spec.ports.some((p) => p.name === 'peer' && p.port === 7000));

      const c = server(objects);
      const expected = Array.from(
        { length: initialReplicas },
        (_, k) => `${k + 1}=${FULLNAME}-${k}.${MEMBERS_DOMAIN}:7000`,
      ).join(',');
      assert.equal(envValue(c, 'INITIAL_CLUSTER'), expected);
      assert.equal(envValue(c, 'INITIAL_REPLICAS'), String(initialReplicas));
      assert.equal(envValue(c, 'JOIN_ADDR'), `${CLIENT_HOST}:6379`);
      assert.equal(
        envValue(c, 'REDRAFT_ADVERTISE_PEER_ADDR'),
        `$(POD_NAME).${MEMBERS_DOMAIN}:7000`,
      );
      assert.equal(
        envValue(c, 'REDRAFT_ADVERTISE_RESP_ADDR'),
        `$(POD_NAME).${MEMBERS_DOMAIN}:6379`,
      );
      // Kubernetes expands $(POD_NAME) only from entries defined earlier in the list.
      const names = (c.env ?? []).map((e) => e.name);
      assert.ok(names.indexOf('POD_NAME') < names.indexOf('REDRAFT_ADVERTISE_PEER_ADDR'));
      assert.equal(
        c.env?.find((e) => e.name === 'POD_NAME')?.valueFrom?.fieldRef?.fieldPath,
        'metadata.name',
      );
    }
  });

  it('the server accepts the settings the chart gives each pod, founders and joiners alike', async () => {
    for (const values of [{}, { replicas: 5 }, VALUE_SETS[VALUE_SETS.length - 1]!.values]) {
      const objects = await render(values);
      const sts = statefulSet(objects);
      const c = server(objects);
      const initial = Number(envValue(c, 'INITIAL_REPLICAS'));
      const known = new Set(SERVER_FLAGS.map((f) => envName(f.key)));
      for (const e of c.env ?? []) {
        if (e.name.startsWith('REDRAFT_'))
          assert.ok(known.has(e.name), `${e.name} is not a redraft server setting`);
      }
      for (let ordinal = 0; ordinal < sts.spec.replicas; ordinal++) {
        const { args, env } = memberInvocation(objects, ordinal);
        assert.equal(args[0], 'server');
        const config = parseServerConfig(args.slice(1), Object.fromEntries(env));
        assert.equal(config.id, ordinal + 1);
        assert.equal(config.advertisePeerAddr, `${FULLNAME}-${ordinal}.${MEMBERS_DOMAIN}:7000`);
        assert.equal(config.advertiseRespAddr, `${FULLNAME}-${ordinal}.${MEMBERS_DOMAIN}:6379`);
        if (ordinal < initial) {
          assert.equal(
            config.initialCluster.get(ordinal + 1),
            `${FULLNAME}-${ordinal}.${MEMBERS_DOMAIN}:7000`,
          );
          assert.equal(config.join, '');
        } else {
          assert.equal(config.initialCluster.size, 0);
          assert.equal(config.join, `${CLIENT_HOST}:6379`);
        }
      }
    }
    const objects = await render({});
    const c = server(objects);
    const env = containerEnvironment(
      c,
      { name: 'redraft', namespace: NAMESPACE, ip: '10.1.0.9' },
      objects,
    );
    assert.throws(
      () => captureRedraftInvocation(containerArgv(c, env), env),
      /cannot read an ordinal from the pod name 'redraft'/,
    );
  });

  it('a founder bootstraps unless the cluster answers without it: then it was removed, and joins', async () => {
    const objects = await render({});
    const table = (ids: readonly number[]): string =>
      [
        'ID  ROLE   LEADER  PEER',
        ...ids.map(
          (id) =>
            `${id}   voter  ${id === 1 ? 'yes' : '   '}     ${FULLNAME}-${id - 1}.${MEMBERS_DOMAIN}:7000`,
        ),
      ].join('\n');
    const settings = (adminOutput?: string) => {
      const { args, env } = memberInvocation(objects, 1, adminOutput);
      return parseServerConfig(args.slice(1), Object.fromEntries(env));
    };
    // The first install: nothing answers yet.
    assert.equal(settings().initialCluster.size, 3);
    // A restart, or a late first start: the cluster counts member 2 in.
    assert.equal(settings(table([1, 2, 3])).initialCluster.size, 3);
    // Member 2 was removed after its volume was lost: pod 1 joins afresh.
    const rejoining = settings(table([1, 3]));
    assert.equal(rejoining.initialCluster.size, 0);
    assert.equal(rejoining.join, `${CLIENT_HOST}:6379`);
    assert.equal(rejoining.id, 2);
    // "12" is not "2".
    assert.equal(settings(table([1, 3, 12])).join, `${CLIENT_HOST}:6379`);
  });

  it('the client Service exposes RESP 6379, HTTP and gRPC on the ready members', async () => {
    const objects = await render({});
    const svc = findOne(objects, 'Service', FULLNAME) as Service;
    assert.notEqual(svc.spec.clusterIP, 'None');
    assert.notEqual(svc.spec.publishNotReadyAddresses, true);
    assert.deepEqual(
      svc.spec.ports.map((p) => [p.name, p.port, p.targetPort]),
      [
        ['resp', 6379, 'resp'],
        ['http', 8080, 'http'],
        ['grpc', 9090, 'grpc'],
      ],
    );
    assert.ok(selects(svc.spec.selector, statefulSet(objects).spec.template.metadata.labels));
  });

  it('the disruption budget never lets a drain take a majority', async () => {
    for (const replicas of [1, 3, 4, 5, 7]) {
      const objects = await render({
        replicas,
        cluster: { initialReplicas: Math.min(3, replicas) },
      });
      const pdb = findOne(objects, 'PodDisruptionBudget', FULLNAME) as KubeObject & {
        spec: { maxUnavailable: number; selector: { matchLabels: Record<string, string> } };
      };
      assert.ok(
        selects(pdb.spec.selector.matchLabels, statefulSet(objects).spec.template.metadata.labels),
      );
      const majority = Math.floor(replicas / 2) + 1;
      if (replicas >= 3)
        assert.ok(replicas - pdb.spec.maxUnavailable >= majority, `${replicas} replicas`);
    }
  });

  it('members spread across nodes: preferred by default, required when hard, not at all when none', async () => {
    const term = (spec: PodSpec, kind: 'soft' | 'hard') => {
      const a = spec.affinity?.podAntiAffinity;
      return kind === 'soft'
        ? a?.preferredDuringSchedulingIgnoredDuringExecution?.[0]?.podAffinityTerm
        : a?.requiredDuringSchedulingIgnoredDuringExecution?.[0];
    };
    for (const kind of ['soft', 'hard'] as const) {
      const sts = statefulSet(await render(kind === 'soft' ? {} : { antiAffinity: kind }));
      const t = term(sts.spec.template.spec, kind);
      assert.ok(t !== undefined, `${kind} anti-affinity`);
      assert.equal(t.topologyKey, 'kubernetes.io/hostname');
      assert.ok(selects(t.labelSelector?.matchLabels, sts.spec.template.metadata.labels));
    }
    assert.equal(
      statefulSet(await render({ antiAffinity: 'none' })).spec.template.spec.affinity,
      undefined,
    );
  });

  it('changing replicas changes nothing in the pod template, so scaling restarts no member', async () => {
    const three = statefulSet(await render({ replicas: 3 }));
    const five = statefulSet(await render({ replicas: 5 }));
    assert.deepEqual(three.spec.template, five.spec.template);
    assert.deepEqual(three.spec.volumeClaimTemplates, five.spec.volumeClaimTemplates);
  });

  it('SIGTERM gets time to hand leadership over: the grace period outlasts the preStop delay by far', async () => {
    const sts = statefulSet(await render({}));
    const c = server(await render({}));
    assert.deepEqual(c.lifecycle?.preStop?.exec?.command, ['sleep', '5']);
    assert.ok(sts.spec.template.spec.terminationGracePeriodSeconds! >= 5 + 30);
    assert.equal(sts.spec.template.spec.enableServiceLinks, false);
  });

  it('TLS: a generated CA and a certificate for the client Service and every member name', async () => {
    const objects = await render({ tls: { enabled: true, clientAuth: true } });
    const secret = findOne(objects, 'Secret', `${FULLNAME}-tls`) as Secret;
    assert.equal(secret.type, 'kubernetes.io/tls');
    const chain = decode(secret, 'tls.crt');
    const leaf = new X509Certificate(chain);
    const ca = new X509Certificate(decode(secret, 'ca.crt'));
    assert.ok(leaf.verify(ca.publicKey), 'the certificate is signed by the CA');
    assert.ok(
      chain.includes(decode(secret, 'ca.crt').trim()),
      'tls.crt carries the CA after the leaf',
    );
    for (const host of [
      CLIENT_HOST,
      `${FULLNAME}-0.${MEMBERS_DOMAIN}`,
      `${FULLNAME}-4.${MEMBERS_DOMAIN}`,
      FULLNAME,
    ]) {
      assert.notEqual(leaf.checkHost(host), undefined, `the certificate names ${host}`);
    }
    assert.ok(decode(secret, 'tls.key').includes('PRIVATE KEY'));
    const c = server(objects);
    assert.equal(envValue(c, 'REDRAFT_TLS_CERT'), '/etc/redraft/tls/tls.crt');
    assert.equal(envValue(c, 'REDRAFT_TLS_KEY'), '/etc/redraft/tls/tls.key');
    assert.equal(envValue(c, 'REDRAFT_TLS_CA'), '/etc/redraft/tls/ca.crt');
    assert.equal(envValue(c, 'REDRAFT_PEER_TLS_CA'), '/etc/redraft/tls/ca.crt');
    assert.ok(
      c.volumeMounts?.some(
        (m) => m.name === 'tls' && m.mountPath === '/etc/redraft/tls' && m.readOnly === true,
      ),
    );
    const testPod = findOne(objects, 'Pod', `${FULLNAME}-test`) as Pod;
    assert.equal(
      envValue(container(testPod.spec, 'redis-cli'), 'TLS_FLAGS'),
      '--tls --cacert /etc/redraft/tls/ca.crt --cert /etc/redraft/tls/tls.crt --key /etc/redraft/tls/tls.key',
    );
    const hook = container(
      (findOne(objects, 'Job', `${FULLNAME}-scale-down`) as Job).spec.template.spec,
      'remove-members',
    );
    assert.equal(envValue(hook, 'REDRAFT_TLS_CA'), '/etc/redraft/tls/ca.crt');
    assert.equal(envValue(hook, 'REDRAFT_TLS_CERT'), '/etc/redraft/tls/tls.crt');
    assert.ok(
      hook.volumeMounts?.some((m) => m.name === 'tls' && m.mountPath === '/etc/redraft/tls'),
    );
    // Without clientAuth the members ask clients for no certificate.
    const serverOnly = server(await render({ tls: { enabled: true } }));
    assert.equal(
      serverOnly.env?.some((e) => e.name === 'REDRAFT_TLS_CA'),
      false,
    );
  });

  it('auth: one Secret feeds the members, the scale-down hook and the test pod', async () => {
    const objects = await render({ auth: { enabled: true, password: 'correct horse' } });
    const secret = findOne(objects, 'Secret', `${FULLNAME}-auth`) as Secret;
    assert.equal(decode(secret, 'password'), 'correct horse');
    assert.match(decode(secret, 'token'), /^[A-Za-z0-9]{48}$/, 'a generated token');
    const ref = (c: Container, name: string) =>
      c.env?.find((e) => e.name === name)?.valueFrom?.secretKeyRef;
    assert.deepEqual(ref(server(objects), 'REDRAFT_REQUIREPASS'), {
      name: `${FULLNAME}-auth`,
      key: 'password',
    });
    assert.deepEqual(ref(server(objects), 'REDRAFT_AUTH_TOKEN'), {
      name: `${FULLNAME}-auth`,
      key: 'token',
    });
    const job = findOne(objects, 'Job', `${FULLNAME}-scale-down`) as Job;
    assert.equal(
      ref(container(job.spec.template.spec, 'remove-members'), 'REDRAFT_REQUIREPASS')?.name,
      `${FULLNAME}-auth`,
    );
    const testPod = findOne(objects, 'Pod', `${FULLNAME}-test`) as Pod;
    assert.equal(ref(container(testPod.spec, 'redis-cli'), 'REDISCLI_AUTH')?.key, 'password');
    // A password change rolls the members, which read it at start.
    const other = statefulSet(await render({ auth: { enabled: true, password: 'another' } }));
    assert.notEqual(
      other.spec.template.metadata.annotations?.['checksum/auth'],
      statefulSet(objects).spec.template.metadata.annotations?.['checksum/auth'],
    );
  });

  it('the scale-down hook runs before upgrades and rollbacks, against the client Service', async () => {
    const objects = await render({ replicas: 3 });
    const job = findOne(objects, 'Job', `${FULLNAME}-scale-down`) as Job;
    assert.deepEqual(job.metadata.annotations?.['helm.sh/hook']?.split(',').sort(), [
      'pre-rollback',
      'pre-upgrade',
    ]);
    const c = container(job.spec.template.spec, 'remove-members');
    assert.equal(envValue(c, 'REPLICAS'), '3');
    assert.equal(envValue(c, 'ADMIN_ADDR'), `${CLIENT_HOST}:6379`);
    assert.match(c.command?.join(' ') ?? '', /redraft admin --addr "\$ADMIN_ADDR" remove "\$id"/);
    assert.equal(findAll(await render({ scaleDown: { enabled: false } }), 'Job').length, 0);
  });

  it('NetworkPolicy: members talk to each other; clients only from labelled pods and the listed peers', async () => {
    const values = VALUE_SETS[VALUE_SETS.length - 1]!.values;
    const objects = await render(values);
    const policy = findOne(objects, 'NetworkPolicy', FULLNAME) as KubeObject & {
      spec: {
        podSelector: { matchLabels: Record<string, string> };
        ingress: {
          from?: {
            podSelector?: { matchLabels: Record<string, string> };
            namespaceSelector?: object;
          }[];
          ports?: { port: string }[];
        }[];
      };
    };
    const podLabels = statefulSet(objects).spec.template.metadata.labels;
    assert.ok(selects(policy.spec.podSelector.matchLabels, podLabels));
    const [members, clients] = policy.spec.ingress;
    assert.ok(selects(members?.from?.[0]?.podSelector?.matchLabels, podLabels));
    assert.equal(members?.ports, undefined, 'members reach every port');
    assert.deepEqual(
      clients?.ports?.map((p) => p.port),
      ['resp', 'http', 'grpc'],
    );
    const clientSelector = clients.from?.[0]?.podSelector?.matchLabels;
    assert.deepEqual(clientSelector, { [`${FULLNAME}-client`]: 'true' });
    assert.ok(clients.from?.[1]?.namespaceSelector !== undefined);
    const job = findOne(objects, 'Job', `${FULLNAME}-scale-down`) as Job;
    const testPod = findOne(objects, 'Pod', `${FULLNAME}-test`) as Pod;
    assert.ok(
      selects(clientSelector, job.spec.template.metadata.labels),
      'the hook may reach the members',
    );
    assert.ok(
      selects(clientSelector, testPod.metadata.labels),
      'the test pod may reach the members',
    );
  });

  it('ServiceMonitor scrapes /metrics through the headless Service only, with the CA and the token', async () => {
    const objects = await render(VALUE_SETS[VALUE_SETS.length - 1]!.values);
    const monitor = findOne(objects, 'ServiceMonitor', FULLNAME) as KubeObject & {
      spec: {
        selector: { matchLabels: Record<string, string> };
        endpoints: {
          port: string;
          path: string;
          scheme: string;
          tlsConfig?: { serverName: string };
          authorization?: { type: string };
        }[];
      };
    };
    assert.equal(monitor.metadata.labels?.release, 'prometheus');
    const services = findAll(objects, 'Service').filter((s) =>
      selects(monitor.spec.selector.matchLabels, s.metadata.labels),
    );
    assert.deepEqual(
      services.map((s) => s.metadata.name),
      [HEADLESS],
    );
    const [endpoint] = monitor.spec.endpoints;
    assert.equal(endpoint?.port, 'http');
    assert.equal(endpoint.path, '/metrics');
    assert.equal(endpoint.scheme, 'https');
    assert.equal(endpoint.tlsConfig?.serverName, CLIENT_HOST);
    assert.equal(endpoint.authorization?.type, 'Bearer');
  });
});
