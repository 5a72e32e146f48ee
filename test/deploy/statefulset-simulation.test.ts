/**
 * The chart's StatefulSet, played out with real processes (no Kubernetes cluster is available
 * to the tests). The chart is rendered with helm; each pod runs exactly the command line and
 * environment the rendered StatefulSet gives it (its entrypoint script included), with the
 * cluster DNS names mapped to loopback addresses of their own and volumes mapped to
 * directories (simulation/kubelet.ts says what else differs and why). A Service proxy sends
 * clients to the pods that pass their readiness probe, as kube-proxy does.
 *
 * The life of a release: install (pods 0-2 bootstrap from each other's names), `helm test`,
 * scale-up to 5 (pods 3 and 4 join through the Service), a rolling restart one pod at a time
 * from the highest ordinal, and scale-down to 3 (the chart's pre-upgrade Job removes members 5
 * and 4, then the StatefulSet stops their pods and deletes their claims), and a founder that
 * loses its volume and rejoins, with clients writing through the Service all along. Every
 * acknowledged write must survive.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import {
  checkWrites,
  freePorts,
  parseInfo,
  RespClient,
  waitFor,
  WriterPool,
  type RespEndpoint,
} from '../e2e/harness/index.js';
import { parseDockerfile, parseEnv } from './support/dockerfile.js';
import { renderChart } from './support/helm.js';
import { findOne, type KubeObject, type Service, type StatefulSet } from './support/manifests.js';
import { installRedraftShim } from './support/redraft-on-path.js';
import { findHelm, missingToolsOutcome, REPO_ROOT, readToolVersions } from './support/tools.js';
import { LoopbackNetwork } from './simulation/loopback-network.js';
import { ServiceProxy } from './simulation/service-proxy.js';
import { SimulatedStatefulSet } from './simulation/statefulset-controller.js';

const run = promisify(execFile);
const RELEASE = 'db';
const NAMESPACE = 'sim';
const FULLNAME = 'db-redraft';
const READY_TIMEOUT_MS = 120_000;
const PASSWORD = 'simulated secret';

const helm = findHelm();
const skip = missingToolsOutcome(helm);
const kubeVersion = (readToolVersions().get('KUBERNETES_VERSIONS') ?? 'v1.36.3')
  .split(/\s+/)
  .pop()!
  .replace(/^v/, '');

/** The image's own environment (the runtime stage's ENV lines). */
function imageEnvironment(): Map<string, string> {
  const stages = parseDockerfile(readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8'));
  let env = new Map<string, string>();
  for (const ins of stages[stages.length - 1]!.instructions) {
    if (ins.keyword === 'ENV') env = parseEnv(ins.text, env);
  }
  return env;
}

/** A RESP endpoint whose connections are authenticated. */
function endpoint(ip: string, port: number, id: number): RespEndpoint {
  return {
    id,
    connect: async (timeoutMs = 2000) => {
      const client = await RespClient.connect(port, timeoutMs, ip);
      const reply = await client.send(['AUTH', PASSWORD], timeoutMs);
      if (reply.kind !== 'simple') {
        client.close();
        throw new Error(`AUTH: ${JSON.stringify(reply)}`);
      }
      return client;
    },
  };
}

async function raftInfo(endpoint: RespEndpoint): Promise<Map<string, string>> {
  const client = await endpoint.connect(1000);
  try {
    return parseInfo(await client.send(['INFO', 'raft'], 2000));
  } finally {
    client.close();
  }
}

describe('the chart on a simulated StatefulSet', { skip }, () => {
  it(
    'bootstraps 3 members, scales to 5, rolls every pod, scales back to 3, rejoins a founder that lost its volume, and loses no acknowledged write',
    { timeout: 30 * 60_000 },
    async (t) => {
      const dir = mkdtempSync(join(tmpdir(), 'redraft-statefulset-'));
      const [resp, http, grpc, peer] = await freePorts(4);
      const network = new LoopbackNetwork();
      // Values: free ports (the same for every pod, as in Kubernetes), each pod listening on its
      // own address, the preStop delay cut to 1 s to keep the run short, and auth on (the
      // password reaches members, hook and test pod through the Secret). Everything else is
      // the chart's defaults.
      const render = (replicas: number): Promise<KubeObject[]> =>
        renderChart(helm.ok ? helm.value : '', {
          values: {
            replicas,
            ports: { resp, http, grpc, peer },
            // Each pod binds its own address (pods share ports, and here they share a host).
            cluster: { listenAddress: '$(POD_IP)' },
            preStopDelaySeconds: 1,
            // Auth on, with the password given: helm would keep a generated one across
            // upgrades (lookup), but each `helm template` here would generate another.
            auth: { enabled: true, password: PASSWORD },
          },
          kubeVersion,
          release: RELEASE,
          namespace: NAMESPACE,
        });
      const installed = await render(3);
      for (let ordinal = 0; ordinal < 10; ordinal++) {
        network.register(
          `${FULLNAME}-${ordinal}.${FULLNAME}-headless.${NAMESPACE}.svc.cluster.local`,
          network.podIp(ordinal),
        );
      }
      network.register(`${FULLNAME}.${NAMESPACE}.svc.cluster.local`, network.serviceIp);
      const binDir = join(dir, 'bin');
      mkdirSync(binDir);
      installRedraftShim(binDir);
      const sts = new SimulatedStatefulSet(
        installed,
        FULLNAME,
        { network, binDir, imageEnv: imageEnvironment() },
        dir,
      );
      const svc = findOne(installed, 'Service', FULLNAME) as Service;
      const containerPorts = sts.statefulSet.spec.template.spec.containers[0]!.ports ?? [];
      const proxy = new ServiceProxy(
        network.serviceIp,
        svc.spec.ports.map((p) => ({
          port: p.port,
          targetPort:
            typeof p.targetPort === 'number'
              ? p.targetPort
              : containerPorts.find((c) => c.name === p.targetPort)!.containerPort,
        })),
        () => sts.readyIps(),
      );
      const service = endpoint(network.serviceIp, resp!, 0);
      const writers = new WriterPool(() => [service], 4, 'k8s');
      let passed = false;

      const members = (): RespEndpoint[] =>
        [...sts.pods.entries()].map(([o, p]) => endpoint(p.facts.ip, resp!, o + 1));

      /** Waits until every running pod reports exactly `ids` as voters, no learner, one leader. */
      const expectMembers = (ids: readonly number[], of = members()): Promise<void> =>
        waitFor(
          `members ${ids.join(',')} on pods ${of.map((e) => e.id - 1).join(',')}`,
          async () => {
            const infos = await Promise.all(of.map(raftInfo));
            const seen = infos.map(
              (i) =>
                `${i.get('raft_node_id')}: voters ${i.get('raft_voters')} learners ${i.get('raft_learners')} leader ${i.get('raft_leader_id')}`,
            );
            const sorted = (s: string | undefined): string =>
              (s ?? '')
                .split(',')
                .filter((x) => x !== '')
                .map(Number)
                .sort((a, b) => a - b)
                .join(',');
            const leaders = new Set(infos.map((i) => i.get('raft_leader_id')));
            const ok = infos.every(
              (i) =>
                sorted(i.get('raft_voters')) === ids.join(',') &&
                sorted(i.get('raft_learners')) === '',
            );
            if (!ok || leaders.size !== 1 || leaders.has('0')) throw new Error(seen.join('; '));
            return true;
          },
          { timeoutMs: READY_TIMEOUT_MS, intervalMs: 200 },
        ).then(() => undefined);

      /** Waits for `count` more acknowledged writes: the workload runs through every step. */
      const moreWrites = async (count: number): Promise<void> => {
        const from = writers.acked.size;
        await waitFor(
          `${count} acknowledged writes after ${from}`,
          () => (writers.acked.size >= from + count ? true : undefined),
          { timeoutMs: READY_TIMEOUT_MS, intervalMs: 50 },
        );
      };

      /** The chart's `helm test` pod, run against the Service (it needs redis-cli). */
      const helmTest = async (): Promise<void> => {
        if (spawnSync('redis-cli', ['--version']).status !== 0) {
          if (process.env.CI === 'true') assert.fail('redis-cli is not installed');
          t.diagnostic('redis-cli is not installed: the helm test pod is not run');
          return;
        }
        const status = await sts.runPod(`${FULLNAME}-test`);
        assert.equal(status.code, 0, `helm test failed; log: ${join(dir, `${FULLNAME}-test.log`)}`);
      };

      try {
        await proxy.start();

        // Install: the founders bootstrap from each other's names.
        await sts.scale(READY_TIMEOUT_MS);
        await expectMembers([1, 2, 3]);
        await helmTest();
        writers.start();
        await moreWrites(50);

        // helm upgrade --set replicas=5: pods 3 and 4 join through the Service.
        const scaledUp = await render(5);
        assert.deepEqual(
          (findOne(scaledUp, 'StatefulSet', FULLNAME) as StatefulSet).spec.template,
          sts.statefulSet.spec.template,
          'scaling must not change the pod template (it would roll every member)',
        );
        sts.apply(scaledUp);
        await sts.scale(READY_TIMEOUT_MS);
        await expectMembers([1, 2, 3, 4, 5]);
        await moreWrites(50);

        // A rolling restart: highest ordinal first, each pod ready before the next goes. Each
        // comes back from its volume as the member it was (the joiners ignore --join).
        for (let ordinal = 4; ordinal >= 0; ordinal--) {
          const status = await sts.replacePod(ordinal, READY_TIMEOUT_MS);
          assert.deepEqual(status, { code: 0, signal: null }, `pod ${ordinal} stopped cleanly`);
          await expectMembers([1, 2, 3, 4, 5]);
          await moreWrites(20);
        }

        // helm upgrade --set replicas=3: the pre-upgrade hook removes members 5 and 4 while
        // they run, then the StatefulSet stops their pods and deletes their claims.
        const scaledDown = await render(3);
        sts.apply(scaledDown);
        const job = await sts.runJob(`${FULLNAME}-scale-down`);
        t.diagnostic(
          `scale-down hook succeeded after ${job.attempts} attempt(s): ${readFileSync(job.logFile, 'utf8').trim()}`,
        );
        const founders = members().slice(0, 3);
        await expectMembers([1, 2, 3], founders);
        const stopped = await sts.scale(READY_TIMEOUT_MS);
        assert.deepEqual(stopped, [
          { code: 0, signal: null },
          { code: 0, signal: null },
        ]);
        await expectMembers([1, 2, 3]);
        await moreWrites(50);

        // A founder loses its volume. The operator removes its member, then deletes its claim
        // and its pod; the pod comes back empty, finds itself outside the configuration and
        // joins instead of bootstrapping.
        await run(join(binDir, 'redraft'), [
          'admin',
          `--addr=${network.podIp(0)}:${resp}`,
          `--password=${PASSWORD}`,
          'remove',
          '2',
        ]);
        await expectMembers(
          [1, 3],
          members().filter((e) => e.id !== 2),
        );
        assert.deepEqual(await sts.replacePod(1, READY_TIMEOUT_MS, { deleteClaims: true }), {
          code: 0,
          signal: null,
        });
        await expectMembers([1, 2, 3]);
        assert.match(
          readFileSync(sts.pods.get(1)!.logFile, 'utf8'),
          /member 2 is not in the cluster's configuration: joining it/,
        );
        await moreWrites(50);
        await writers.stop();

        t.diagnostic(
          `${writers.acked.size} writes acknowledged, ${writers.unknown.size} of unknown outcome; errors seen: ${JSON.stringify([...writers.samples])}`,
        );
        for (const endpoint of [service, ...members()]) {
          assert.deepEqual(await checkWrites(endpoint, writers.acked, writers.unknown), []);
        }
        await helmTest();
        assert.deepEqual(sts.incidents(), []);
        passed = true;
      } finally {
        await writers.stop();
        await proxy.stop();
        await sts.stop();
        if (passed) rmSync(dir, { recursive: true, force: true });
        else process.stderr.write(`statefulset simulation: pod logs kept in ${dir}\n`);
      }
    },
  );
});
