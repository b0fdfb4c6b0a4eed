// New VMs' SSH host keys through the trusted channel: the guest agent's file-read over the
// pinned Proxmox API. The simulated VM's sshd presents exactly the key the agent reported, so
// provisioning checks host keys strictly with nothing but apply's known_hosts.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mergeConfig } from '../actions/lib/config/load.js';
import { publishNewClusters, type PublishHostsOptions } from '../actions/lib/kubeconfig/publish.js';
import type { SshTarget } from '../actions/lib/kubeconfig/ssh-fetch.js';
import type { KubeconfigLocation } from '../actions/lib/kubeconfig/store.js';
import type { VaultClient } from '../actions/lib/kubeconfig/vault-client.js';
import { memoryLogger } from '../actions/lib/log.js';
import { execProcess, type ProcessExec } from '../actions/lib/provision/exec.js';
import { collectHostKeys, parsePublicKey } from '../actions/lib/ssh/host-keys.js';
import { provision, type ProvisionOptions } from '../actions/lib/provision/provision.js';
import {
  clientConfigFromEnv,
  HttpsTransport,
  ProxmoxClient,
} from '../actions/lib/proxmox/index.js';
import type { VmSpec } from '../actions/lib/vm/types.js';
import { startVmHosts, type VmHosts } from '../sim/hosts/vm-hosts.js';
import { startProxmoxSim, type ProxmoxSim } from '../sim/proxmox/index.js';
import { keyPair, randomLoopback, writeRepo } from './provision-helpers.js';

const A = { name: 'k8s-hka', vmid: 301, node: 'pve1', ip: randomLoopback() };
const B = { name: 'k8s-hkb', vmid: 302, node: 'pve2', ip: randomLoopback() };
const SILENT = { name: 'k8s-hks', vmid: 303, node: 'pve1', ip: randomLoopback() };
// Existing VMs (created by an earlier apply): no known_hosts line for them anywhere.
const OLD = { name: 'k8s-hko', vmid: 304, node: 'pve2', ip: randomLoopback() };
const IMPOSTOR = { name: 'k8s-hki', vmid: 305, node: 'pve1', ip: randomLoopback() };

let root: string;
let sim: ProxmoxSim;
let client: ProxmoxClient;
let key: ReturnType<typeof keyPair>;
const hosts: VmHosts[] = [];

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'pve-gitops-hostkeys-'));
  mkdirSync(path.join(root, 'tmp'));
  key = keyPair(root);
  sim = await startProxmoxSim({
    timeScale: 0.01,
    fixture: {
      nodes: [{ name: 'pve1' }, { name: 'pve2' }],
      storages: [{ id: 'local-lvm', type: 'lvmthin', content: ['images'] }],
      vms: [A, B, SILENT, OLD, IMPOSTOR].map((v) => ({
        vmid: v.vmid,
        node: v.node,
        name: v.name,
        status: 'running' as const,
        config: { agent: '1', ipconfig0: `ip=${v.ip}/8`, tags: 'pve-gitops' },
      })),
    },
    faults: { agentSilent: [SILENT.name] },
  });
  client = new ProxmoxClient({
    transport: new HttpsTransport(
      clientConfigFromEnv({
        PROXMOX_URL: sim.url,
        PROXMOX_TOKEN_ID: sim.tokenId,
        PROXMOX_TOKEN_SECRET: sim.tokenSecret,
        PROXMOX_TLS_FINGERPRINT: sim.fingerprint,
      }),
    ),
  });
});
afterAll(async () => {
  for (const h of hosts) await h.stop();
  await client?.close();
  await sim?.stop();
  await rm(root, { recursive: true, force: true });
});

function opts(repo: string, knownHosts: string, over: Partial<ProvisionOptions> = {}) {
  return {
    repoDir: repo,
    runs: [{ playbook: 'k8s.yml' }],
    newHosts: [],
    sshPrivateKey: key.privateKey,
    knownHosts,
    simulator: true,
    log: memoryLogger(),
    tempRoot: path.join(root, 'tmp'),
    ...over,
  } satisfies ProvisionOptions;
}

describe('collectHostKeys through the guest agent', () => {
  it('reads each VM ed25519 key as IP keytype base64, and names a silent agent missing', async () => {
    const log = memoryLogger();
    const r = await collectHostKeys(client, [A, B, SILENT], {
      log,
      timeoutMs: 300,
      intervalMs: 50,
    });
    const lineOf = (v: typeof A) =>
      `${v.ip} ${sim.cluster.hostKeyOf(v.vmid).publicKey.split(' ').slice(0, 2).join(' ')}`;
    expect(r.knownHosts).toBe(`${lineOf(A)}\n${lineOf(B)}\n`);
    expect(r.missing).toEqual([SILENT.name]);
    expect(log.lines.join('\n')).toMatch(/k8s-hks \(VM 303 on pve1\).*agent is not running/);
    // The key is the VM's own: a second read gives the same, another VM has another.
    expect(lineOf(A)).not.toBe(lineOf(B).replace(B.ip, A.ip));
  });

  it('waits for the agent of a VM that is still booting', async () => {
    const vm = sim.cluster.vm(A.vmid)!;
    vm.startedAt = Date.now(); // agent answers after agentBoot (8 s * 0.01)
    const r = await collectHostKeys(client, [A], {
      log: memoryLogger(),
      timeoutMs: 3000,
      intervalMs: 20,
    });
    expect(r.missing).toEqual([]);
    expect(r.knownHosts).toContain(`${A.ip} ssh-ed25519 `);
  });

  it('reports a host without an address as missing and rejects malformed key files', async () => {
    const r = await collectHostKeys(client, [{ ...A, ip: undefined }], {
      log: memoryLogger(),
      timeoutMs: 10,
    });
    expect(r).toEqual({ knownHosts: '', missing: [A.name] });
    expect(parsePublicKey('ssh-ed25519 AAAAB3NzaC1yc2EAAAADAQAB x', 'ssh-ed25519')).toBeUndefined();
    expect(parsePublicKey('ssh-rsa AAAA', 'ssh-ed25519')).toBeUndefined();
  });
});

describe('provisioning with only the known_hosts read through the guest agent', () => {
  it('succeeds with strict checking on a host presenting the sim key; refuses another key', async () => {
    const { knownHosts } = await collectHostKeys(client, [A, B], { log: memoryLogger() });
    // A boots with the key its agent reported; B's sshd has a key nobody vouched for.
    const vms = await startVmHosts({
      vms: [A, B].map((v) => ({ name: v.name, ip: v.ip })),
      authorizedKey: key.publicKey,
      stateDir: path.join(root, 'vms'),
      hostKeys: { [A.name]: sim.cluster.hostKeyOf(A.vmid).privateKey },
    });
    hosts.push(vms);
    expect(readFileSync(vms.knownHostsFile, 'utf8')).toContain(
      sim.cluster.hostKeyOf(A.vmid).publicKey.split(' ')[1],
    );
    const ports = vms.ports;
    const repo = await mkdtemp(path.join(root, 'repo-'));
    const portOf = (n: string) => ports[n];
    writeRepo(
      repo,
      [A, B].map((v) => ({ name: v.name, ip: v.ip, port: portOf(v.name) })),
    );
    // Off port 22 (taken on that address) the known_hosts name is [IP]:port.
    const pinned = knownHosts
      .split('\n')
      .map((l) => {
        const v = [A, B].find((x) => l.startsWith(`${x.ip} `));
        return v && ports[v.name] ? l.replace(`${v.ip} `, `[${v.ip}]:${ports[v.name]} `) : l;
      })
      .join('\n');

    const ok = await provision(
      opts(repo, pinned, { runs: [{ playbook: 'k8s.yml', limit: A.name }] }),
    );
    expect(ok.provisioned).toEqual([A.name]);
    const marker = path.join(vms.hosts[0].dirs['/var/lib/rancher'], 'marker');
    expect(readFileSync(marker, 'utf8').trim()).toBe(A.name);

    const bad = await provision(
      opts(repo, pinned, { runs: [{ playbook: 'k8s.yml', limit: B.name }] }),
    ).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(Error);
    expect((bad as Error).message).toMatch(/host key not trusted/);
    expect(existsSync(path.join(vms.hosts[1].dirs['/var/lib/rancher'], 'marker'))).toBe(false);
  });
});

describe('provisioning hosts known_hosts lacks, with the Proxmox API', () => {
  it('reads an existing VM key through the agent and checks it strictly; refuses another key', async () => {
    // OLD serves the key its agent reports; IMPOSTOR's sshd has a key nobody vouched for.
    const vms = await startVmHosts({
      vms: [OLD, IMPOSTOR].map((v) => ({ name: v.name, ip: v.ip })),
      authorizedKey: key.publicKey,
      stateDir: path.join(root, 'vms-existing'),
      hostKeys: { [OLD.name]: sim.cluster.hostKeyOf(OLD.vmid).privateKey },
    });
    hosts.push(vms);
    const repo = await mkdtemp(path.join(root, 'repo-'));
    writeRepo(
      repo,
      [OLD, IMPOSTOR].map((v) => ({ name: v.name, ip: v.ip, port: vms.ports[v.name] })),
    );
    const calls: Array<{ file: string; env: Record<string, string> }> = [];
    const exec: ProcessExec = (file, args, o) => {
      calls.push({ file, env: o.env });
      return execProcess(file, args, o);
    };
    const log = memoryLogger();
    const reads = () => sim.stats()['GET /cluster/resources'] ?? 0;
    const before = reads();
    const ok = await provision(
      opts(repo, '', {
        knownHosts: undefined,
        proxmox: client,
        exec,
        log,
        runs: [{ playbook: 'k8s.yml', limit: OLD.name }],
      }),
    );
    expect(ok.provisioned).toEqual([OLD.name]);
    expect(reads() - before).toBe(1);
    const marker = (i: number) => path.join(vms.hosts[i].dirs['/var/lib/rancher'], 'marker');
    expect(readFileSync(marker(0), 'utf8').trim()).toBe(OLD.name);
    const play = calls.find((c) => c.file === 'ansible-playbook')!;
    expect(play.env.ANSIBLE_SSH_ARGS).toContain('StrictHostKeyChecking=yes');
    expect(log.lines.join('\n')).toMatch(/SSH host keys of k8s-hko \(127\.[\d.]+\): ssh-ed25519/);

    const bad = await provision(
      opts(repo, '', {
        knownHosts: undefined,
        proxmox: client,
        runs: [{ playbook: 'k8s.yml', limit: IMPOSTOR.name }],
      }),
    ).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(Error);
    expect((bad as Error).message).toMatch(/failed on k8s-hki .*\(host key not trusted/);
    expect(existsSync(marker(1))).toBe(false);
  });

  it('refuses by name, before anything runs, a host whose key cannot be read', async () => {
    const ghost = { name: 'k8s-ghost', ip: randomLoopback() };
    const repo = await mkdtemp(path.join(root, 'repo-'));
    writeRepo(repo, [ghost, SILENT]);
    const calls: string[] = [];
    const exec: ProcessExec = (file, args, o) => {
      calls.push(file);
      return execProcess(file, args, o);
    };
    const err = await provision(
      opts(repo, '', {
        knownHosts: undefined,
        proxmox: client,
        exec,
        hostKeyTimeoutMs: 200,
      }),
    ).catch((e: unknown) => e);
    expect((err as Error).message).toBe(
      'No trusted SSH host key for k8s-ghost, k8s-hks: not in known_hosts and not readable through the Proxmox guest agent (see the warnings above); give the key in known-hosts or turn on trust-on-first-use.',
    );
    expect(calls).not.toContain('ansible-playbook');
  });
});

describe('kubeconfig publishing shares the host-key lookup', () => {
  const publishOpts = (fetched: SshTarget[], over: Partial<PublishHostsOptions> = {}) =>
    ({
      hosts: [{ name: OLD.name, ip: OLD.ip }],
      vms: [{ name: OLD.name, ciuser: 'root' } as VmSpec],
      config: mergeConfig(),
      vault: {} as VaultClient,
      location: {} as KubeconfigLocation,
      ssh: { privateKey: key.privateKey, knownHosts: '' },
      simulator: true,
      proxmox: client,
      log: memoryLogger(),
      // Stops after the SSH target is known: what matters is the known_hosts it was given.
      fetchKubeconfig: (t: SshTarget) => {
        fetched.push(t);
        return Promise.reject(new Error('stop here'));
      },
      ...over,
    }) satisfies PublishHostsOptions;

  it("gives the server's key read through the agent to the SSH fetch", async () => {
    const fetched: SshTarget[] = [];
    await expect(publishNewClusters(publishOpts(fetched))).rejects.toThrow(/stop here/);
    const line = `${OLD.ip} ${sim.cluster.hostKeyOf(OLD.vmid).publicKey.split(' ').slice(0, 2).join(' ')}`;
    expect(fetched[0].knownHosts.split('\n')).toContain(line);
  });

  it('refuses a server whose key cannot be read, unless trust on first use is on', async () => {
    const fetched: SshTarget[] = [];
    const silent = {
      hosts: [{ name: SILENT.name, ip: SILENT.ip }],
      vms: [{ name: SILENT.name, ciuser: 'root' } as VmSpec],
      hostKeyTimeoutMs: 100,
    };
    await expect(publishNewClusters(publishOpts(fetched, silent))).rejects.toThrow(
      /^No trusted SSH host key for k8s-hks: /,
    );
    expect(fetched).toEqual([]);
    const tofu = publishOpts(fetched, silent);
    await expect(
      publishNewClusters({ ...tofu, ssh: { ...tofu.ssh, trustOnFirstUse: true } }),
    ).rejects.toThrow(/stop here/);
    expect(fetched).toHaveLength(1);
  });
});
