// Shared setup for the health suites: a PVE 8 or 9 simulator, a repository in a temporary
// directory, and the pve-gitops CLI run in this process against both (as reconcile-cli does).
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, vi } from 'vitest';
import { startProxmoxSim, type ProxmoxSim, type PveMajor } from '../sim/proxmox/index.js';

export interface Repo {
  sim: ProxmoxSim;
  dir: string;
  /** The environment of the root token (all rights). */
  env: NodeJS.ProcessEnv;
  /** Writes vms/<name>.yaml for each VM (pve1, pve2, still-fawn in turn). */
  writeVms(names: string[], extra?: string): Promise<void>;
  close(): Promise<void>;
}

const NODES = ['pve1', 'pve2', 'still-fawn'];
let open: Repo[] = [];

/** In a suite: after each test, stops every simulator and removes every repository. */
export function cleanUpAfterEach(): void {
  afterEach(async () => {
    vi.restoreAllMocks();
    const started = open;
    open = [];
    await Promise.all(started.map((r) => r.close()));
  });
}

/** A simulator of `major` and a repository whose boot grace is 1 s. */
export async function repoOn(major: PveMajor): Promise<Repo> {
  const sim = await startProxmoxSim({ timeScale: 0.02, pveVersion: major });
  const dir = await mkdtemp(path.join(tmpdir(), 'pve-gitops-health-'));
  await mkdir(path.join(dir, 'vms'));
  await writeFile(
    path.join(dir, 'pve-gitops.yaml'),
    'health:\n  boot_grace_seconds: 1\n  agent_timeout_seconds: 2\n',
  );
  const repo: Repo = {
    sim,
    dir,
    env: {
      PROXMOX_URL: sim.url,
      PROXMOX_TOKEN_ID: sim.tokenId,
      PROXMOX_TOKEN_SECRET: sim.tokenSecret,
      PROXMOX_TLS_FINGERPRINT: sim.fingerprint,
    },
    async writeVms(names, extra = '') {
      await Promise.all(
        names.map((name, i) =>
          writeFile(
            path.join(dir, 'vms', `${name}.yaml`),
            `name: ${name}\ntarget_node: ${NODES[i % NODES.length]}\nmemory: 512\n` +
              `cores: 1\ndisks:\n  scsi0:\n    size: 4G\n${extra}`,
          ),
        ),
      );
    },
    async close() {
      await sim.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  open.push(repo);
  return repo;
}

export { cli } from './cli-in-process.js';

/** The managed VMs' ids by name. */
export function vmids(sim: ProxmoxSim): Record<string, number> {
  return Object.fromEntries(
    sim.cluster
      .vms()
      .filter((v) => !v.config.template)
      .map((v) => [String(v.config.name), v.vmid]),
  );
}

/**
 * What must not change when nothing is remediated: every VM's config, power state, boot and
 * creation time.
 */
export function fingerprint(sim: ProxmoxSim): string {
  return JSON.stringify(
    sim.cluster
      .vms()
      .map((v) => [v.vmid, v.node, v.config, v.status, v.qmpstatus, v.startedAt, v.createdAt]),
  );
}

/**
 * Every managed VM booted again, outside the tool, two minutes ago: past the 1 s grace and
 * not the boot apply recorded, so plans ask each guest agent. `hung` of them hang in it.
 */
export function rebootAll(sim: ProxmoxSim, hung: string[] = []): void {
  for (const vmid of Object.values(vmids(sim)))
    sim.cluster.vm(vmid)!.startedAt = Date.now() - 120_000;
  sim.setFaults({ hangAtBoot: hung });
}

/** Privileges a token gets on `/`: everything pve-gitops calls, except the guest agent's. */
export const ALL_BUT_AGENT = [
  'VM.Audit',
  'VM.Allocate',
  'VM.Clone',
  'VM.PowerMgmt',
  'VM.Migrate',
  'VM.Config.CPU',
  'VM.Config.Memory',
  'VM.Config.Network',
  'VM.Config.Disk',
  'VM.Config.Options',
  'VM.Config.Cloudinit',
  'VM.Config.HWType',
  'VM.Config.CDROM',
  'Datastore.Audit',
  'Datastore.AllocateSpace',
  'Sys.Audit',
  'SDN.Audit',
  'SDN.Use',
];
