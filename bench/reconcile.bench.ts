// Plan and apply against the simulator with 25 ms latency per answer:
// - no-op `pve-gitops plan` of 100 VMs on 5 nodes as a whole process (targets: median
//   <= 0.8 s, <= 110 API requests), the VMs in the steady state apply leaves them: running
//   for an hour, their notes recording that the guest agent answered in this boot;
// - apply of 30 new VMs across 3 nodes (target: <= 1.15 x the critical path implied by the
//   simulator's task and storage-lock times), and Ansible's community.general.proxmox_kvm
//   creating the same 30 VMs in a loop against the same kind of simulator, for comparison;
// - `pve-gitops plan` of 5,000 VMs (target: peak RSS <= 250 MB).
import { spawn, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { mergeConfig, type PartialConfig } from '../actions/lib/config/load.js';
import { memoryLogger } from '../actions/lib/log.js';
import { KeyedLimiter } from '../actions/lib/proxmox/index.js';
import { applyRepository, readAndPlan } from '../actions/lib/reconcile/apply.js';
import { bootStart, composeDescription } from '../actions/lib/reconcile/description.js';
import { formatNet } from '../actions/lib/reconcile/parse.js';
import { toVmSpec } from '../actions/lib/vm/normalize.js';
import type { VmDefinition, VmSpec } from '../actions/lib/vm/types.js';
import { defaultFixture, defaultTimings, macFor } from '../sim/proxmox/fixture.js';
import { startProxmoxSim, type ClusterFixture, type ProxmoxSim } from '../sim/proxmox/index.js';
import { proxmoxClientFor } from '../sim/proxmox/client-for.js';
import { cli, median } from './util.js';

/** Runs a process without blocking this one (the simulator answers it from here). */
function runProcess(
  cmd: string,
  args: string[],
  opts: { env: NodeJS.ProcessEnv; cwd?: string },
): Promise<{ status: number | null; stdout: string; stderr: string; seconds: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += String(d)));
    child.stderr.on('data', (d: Buffer) => (stderr += String(d)));
    child.on('error', reject);
    child.on('close', (status) =>
      resolve({ status, stdout, stderr, seconds: (performance.now() - t0) / 1000 }),
    );
  });
}

const LATENCY_MS = 25;
const APPLY_SCALE = Number(process.env.BENCH_APPLY_SCALE ?? 0.25);

const envFor = (sim: ProxmoxSim): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  PROXMOX_URL: sim.url,
  PROXMOX_TOKEN_ID: sim.tokenId,
  PROXMOX_TOKEN_SECRET: sim.tokenSecret,
  PROXMOX_TLS_FINGERPRINT: sim.fingerprint,
});

const requests = (sim: ProxmoxSim) =>
  Object.entries(sim.stats())
    .filter(([k]) => k !== 'mutations')
    .reduce((n, [, v]) => n + v, 0);

const agentProbes = (sim: ProxmoxSim) =>
  sim.stats()['GET /nodes/{node}/qemu/{vmid}/agent/network-get-interfaces'] ?? 0;

/** A repository of `count` VMs over `nodes`, and a fixture holding them exactly as defined. */
async function clusterAndRepo(
  count: number,
  nodes: string[],
  dir: string,
  partial: PartialConfig = {},
) {
  const config = mergeConfig(partial);
  const defs: VmDefinition[] = Array.from({ length: count }, (_, i) => ({
    name: `vm-${String(i).padStart(4, '0')}`,
    target_node: nodes[i % nodes.length],
    memory: 1024,
    cores: 1,
    ipconfig0: `ip=127.1.${Math.floor(i / 250)}.${(i % 250) + 2}/16,gw=127.1.0.1`,
    tags: ['bench'],
    disks: { scsi0: { size: '8G' } },
  }));
  const specs = defs.map((d) => toVmSpec(d, `vms/${d.name}.yaml`, config));
  // The simulator's fixture VMs booted an hour before it starts (moments from now); apply
  // recorded that boot (now − uptime) once their agents answered.
  const agentOk = bootStart(Date.now(), 3600);
  await mkdir(path.join(dir, 'vms'), { recursive: true });
  await writeFile(path.join(dir, 'pve-gitops.yaml'), 'defaults:\n  cpu_type: host\n');
  await Promise.all(
    defs.map((d) =>
      writeFile(
        path.join(dir, 'vms', `${d.name}.yaml`),
        `name: ${d.name}\ntarget_node: ${d.target_node}\nmemory: 1024\ncores: ` +
          `1\nipconfig0: ${d.ipconfig0}\ntags: [bench]\ndisks:\n  scsi0:\n    size: 8G\n`,
      ),
    ),
  );
  const fixture: ClusterFixture = {
    nodes: nodes.map((name) => ({ name, memoryGiB: 512, cpus: 64, bridges: ['vmbr0'] })),
    storages: [
      {
        id: 'local-lvm',
        type: 'lvmthin',
        content: ['images', 'rootdir'],
        totalGiB: 100_000,
        usedGiB: 10,
      },
    ],
    vms: [
      ...nodes.map((node, i) => ({
        vmid: 9000 + i,
        node,
        name: 'ubuntu-24.04-cloudinit',
        template: true,
        diskGiB: 4,
      })),
      ...specs.map((s, i) => ({
        vmid: 100 + i,
        node: s.node,
        name: s.name,
        status: 'running' as const,
        config: configOf(s, 100 + i, agentOk),
      })),
    ],
  };
  return { fixture, specs, config };
}

function configOf(s: VmSpec, vmid: number, agentOk: number): Record<string, string | number> {
  return {
    cores: s.cores,
    sockets: s.sockets,
    memory: String(s.memory),
    cpu: s.cpuType,
    net0: formatNet({ ...s.network, mac: macFor(vmid) }),
    scsi0: `local-lvm:vm-${vmid}-disk-0,size=${s.disks[0].size}`,
    ipconfig0: s.ipconfig0!,
    ciuser: s.ciuser,
    tags: s.tags.join(';'),
    description: composeDescription(s.description, {
      template: s.template,
      fullClone: s.fullClone,
      agentOk,
    }),
    onboot: 1,
    agent: '1',
  };
}

export async function noopPlan(): Promise<Record<string, unknown>> {
  const dir = await mkdtemp(path.join(tmpdir(), 'pve-gitops-bench-plan-'));
  const nodes = ['pve1', 'pve2', 'pve3', 'pve4', 'pve5'];
  const { fixture, specs, config } = await clusterAndRepo(100, nodes, dir);
  const sim = await startProxmoxSim({ fixture, latencyMs: LATENCY_MS });
  const mutationsAtStart = sim.stats().mutations ?? 0;
  try {
    const times: number[] = [];
    const counts: number[] = [];
    const probes: number[] = [];
    for (let run = 0; run < 5; run++) {
      const before = requests(sim);
      const probesBefore = agentProbes(sim);
      const r = await runProcess(process.execPath, [cli, 'plan', '--repo', dir], {
        env: envFor(sim),
      });
      if (r.status !== 0)
        throw new Error(
          `no-op plan exited ${r.status}: ${r.stderr.slice(0, 400)}${r.stdout.slice(0, 400)}`,
        );
      times.push(r.seconds);
      counts.push(requests(sim) - before);
      probes.push(agentProbes(sim) - probesBefore);
    }
    // The same read in-process, to see why each VM was or was not probed.
    const client = proxmoxClientFor(sim);
    const { snapshot, plan } = await readAndPlan({ config, vms: specs }, client, memoryLogger());
    await client.close();
    if (plan.hasChanges) throw new Error('the no-op plan found changes');
    const mutations = (sim.stats().mutations ?? 0) - mutationsAtStart;
    return {
      vms: 100,
      nodes: 5,
      plan_process_s_median: Number(median(times).toFixed(3)),
      plan_process_target_s: 0.8,
      api_requests: median(counts),
      api_requests_target: 110,
      agent_probes: median(probes),
      agent_recorded_this_boot: snapshot.vms.filter((v) => v.agent === 'recorded').length,
      mutations_during_plans: mutations,
    };
  } finally {
    await sim.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Critical path for n full clones per node: clones queue on the storage lock, then the last
 * VM's own steps.
 */
function criticalPathSeconds(perNode: number, scale: number): number {
  const t = defaultTimings;
  const clone = t.tasks['qmclone-full'];
  const lock = Math.min(t.fullCloneStorageLock, clone);
  const ms = perNode * lock + (clone - lock) + t.tasks.qmstart + t.agentBoot;
  return (ms * scale) / 1000;
}

export async function applyThirty(): Promise<Record<string, unknown>> {
  const nodes = ['pve1', 'pve2', 'still-fawn'];
  const config = mergeConfig({ concurrency: { per_node: 6, per_storage: 2, total: 18 } });
  const defs: VmDefinition[] = Array.from({ length: 30 }, (_, i) => ({
    name: `new-${String(i).padStart(2, '0')}`,
    target_node: nodes[i % 3],
    memory: 1024,
    cores: 1,
  }));
  const specs = defs.map((d) => toVmSpec(d, `vms/${d.name}.yaml`, config));

  const sim = await startProxmoxSim({
    fixture: defaultFixture,
    latencyMs: LATENCY_MS,
    timeScale: APPLY_SCALE,
  });
  let ours: number;
  let failed: number;
  try {
    const client = proxmoxClientFor(sim, {
      storageLimiter: new KeyedLimiter(config.concurrency.per_storage),
    });
    const t0 = performance.now();
    const log = memoryLogger();
    const r = await applyRepository({ config, vms: specs }, { client, log, env: {} }, {});
    if (process.env.BENCH_DEBUG) process.stderr.write(`${log.lines.join('\n')}\n`);
    ours = (performance.now() - t0) / 1000;
    failed = r.failed.length;
    await client.close();
  } finally {
    await sim.stop();
  }
  const critical = criticalPathSeconds(10, APPLY_SCALE);
  const ansible = process.env.BENCH_SKIP_ANSIBLE
    ? { error: 'skipped' }
    : await ansibleThirty(nodes);
  return {
    vms: 30,
    nodes: 3,
    time_scale: APPLY_SCALE,
    apply_s: Number(ours.toFixed(2)),
    failed,
    critical_path_s: Number(critical.toFixed(2)),
    ratio_to_critical_path: Number((ours / critical).toFixed(3)),
    ratio_target: 1.15,
    ansible_proxmox_kvm_s:
      ansible.seconds === undefined ? null : Number(ansible.seconds.toFixed(2)),
    ansible_error: ansible.error,
    concurrency: config.concurrency,
    ansible_over_apply:
      ansible.seconds === undefined ? null : Number((ansible.seconds / ours).toFixed(2)),
  };
}

/**
 * The same 30 VMs with community.general.proxmox_kvm: clone, configure, start, one VM after
 * another.
 */
async function ansibleThirty(nodes: string[]): Promise<{ seconds?: number; error?: string }> {
  const which = spawnSync('ansible-playbook', ['--version'], { stdio: 'ignore' });
  if (which.status !== 0) return { error: 'ansible-playbook not installed' };
  const dir = await mkdtemp(path.join(tmpdir(), 'pve-gitops-bench-ansible-'));
  const sim = await startProxmoxSim({
    fixture: defaultFixture,
    latencyMs: LATENCY_MS,
    timeScale: APPLY_SCALE,
  });
  try {
    const vms = Array.from({ length: 30 }, (_, i) => ({
      name: `new-${String(i).padStart(2, '0')}`,
      node: nodes[i % 3],
      src: 9000 + (i % 3),
      newid: 200 + i,
    }));
    const [user, token] = sim.tokenId.split('!');
    const auth =
      `api_host: "127.0.0.1:${new URL(sim.url).port}"\n      api_user: "${user}"\n      ` +
      `api_token_id: "${token}"\n      api_token_secret: "{{ lookup('env', ` +
      `'PVE_TOKEN_SECRET') }}"\n      validate_certs: false`;
    const playbook = `- hosts: localhost
  gather_facts: false
  vars:
    vms: ${JSON.stringify(vms)}
  tasks:
    - name: clone, configure and start each VM
      include_tasks: one.yml
      loop: "{{ vms }}"
`;
    const one = `- community.general.proxmox_kvm:
      ${auth}
      node: "{{ item.node }}"
      vmid: "{{ item.src }}"
      clone: ubuntu-24.04-cloudinit
      newid: "{{ item.newid }}"
      name: "{{ item.name }}"
      full: true
      storage: local-lvm
      timeout: 300
- community.general.proxmox_kvm:
      ${auth}
      node: "{{ item.node }}"
      vmid: "{{ item.newid }}"
      cores: 1
      memory: 1024
      cpu: host
      agent: true
      onboot: true
      tags: [pve-gitops]
      ciuser: ubuntu
      update: true
- community.general.proxmox_kvm:
      ${auth}
      node: "{{ item.node }}"
      vmid: "{{ item.newid }}"
      state: started
      timeout: 300
`;
    await writeFile(path.join(dir, 'site.yml'), playbook);
    await writeFile(path.join(dir, 'one.yml'), one);
    const r = await runProcess(
      'ansible-playbook',
      [
        '-i',
        'localhost,',
        '-c',
        'local',
        '-e',
        'ansible_python_interpreter=/usr/bin/python3',
        'site.yml',
      ],
      {
        cwd: dir,
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          PVE_TOKEN_SECRET: sim.tokenSecret,
          ANSIBLE_NOCOLOR: '1',
          PYTHONWARNINGS: 'ignore',
        },
      },
    );
    const seconds = r.seconds;
    if (r.status !== 0)
      return {
        error: `ansible-playbook exited ${r.status}: ${(r.stdout + r.stderr)
          .split('\n')
          .filter((l) => /fatal|ERROR|msg/.test(l))
          .slice(0, 3)
          .join(' ')
          .slice(0, 400)}`,
      };
    const made = sim.cluster
      .vms()
      .filter((v) => String(v.config.name).startsWith('new-') && v.status === 'running').length;
    if (made !== 30) return { error: `ansible made ${made} running VMs, expected 30` };
    return { seconds };
  } finally {
    await sim.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

export async function bigPlan(): Promise<Record<string, unknown>> {
  const dir = await mkdtemp(path.join(tmpdir(), 'pve-gitops-bench-big-'));
  const nodes = Array.from({ length: 20 }, (_, i) => `pve${i + 1}`);
  const { fixture } = await clusterAndRepo(5000, nodes, dir);
  const sim = await startProxmoxSim({ fixture, latencyMs: LATENCY_MS });
  const preload = path.join(dir, 'rss.cjs');
  await writeFile(
    preload,
    "process.on('exit', () => require('node:fs').writeSync(2, " +
      '`\\nmaxrss_kib=${process.resourceUsage().maxRSS}\\n`));\n',
  );
  const once = async (flags: string[]) => {
    const r = await runProcess(
      process.execPath,
      [...flags, '-r', preload, cli, 'plan', '--repo', dir, '--json'],
      { env: envFor(sim) },
    );
    if (r.status !== 0)
      throw new Error(`plan of 5000 VMs exited ${r.status}: ${r.stderr.slice(-400)}`);
    const kib = Number(/maxrss_kib=(\d+)/.exec(r.stderr)?.[1] ?? NaN);
    return { seconds: r.seconds, mb: kib / 1024 };
  };
  try {
    const plain = await once([]);
    // Node 24 sizes the young generation for throughput; a small one halves the peak.
    const small = await once(['--max-semi-space-size=2']);
    return {
      vms: 5000,
      nodes: 20,
      plan_s: Number(plain.seconds.toFixed(2)),
      peak_rss_mb: Number(plain.mb.toFixed(1)),
      peak_rss_mb_with_max_semi_space_2: Number(small.mb.toFixed(1)),
      peak_rss_target_mb: 250,
    };
  } finally {
    await sim.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

export default async function (): Promise<Record<string, unknown>> {
  return { noop_plan: await noopPlan(), apply_30: await applyThirty(), plan_5000: await bigPlan() };
}
