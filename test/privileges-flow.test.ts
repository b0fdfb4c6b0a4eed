// Every request the whole flow makes (apply creating, growing, moving and pruning VMs, then
// plan) must be an endpoint of the privilege table that a flow uses — run with exactly the
// token the docs set up, on PVE 8 and PVE 9. A call missing from the table fails here.
import { afterAll, describe, expect, it } from 'vitest';
import { mergeConfig } from '../actions/lib/config/load.js';
import { memoryLogger } from '../actions/lib/log.js';
import { KeyedLimiter } from '../actions/lib/proxmox/limiter.js';
import { ENDPOINTS } from '../actions/lib/proxmox/privileges.js';
import { setupCommands, SETUP } from '../actions/lib/proxmox/pveum-commands.js';
import { trustedHostKeys } from '../actions/lib/ssh/trusted-host-keys.js';
import { applyRepository, readAndPlan } from '../actions/lib/reconcile/apply.js';
import { toVmSpec } from '../actions/lib/vm/normalize.js';
import type { VmDefinition } from '../actions/lib/vm/types.js';
import { proxmoxClientFor } from '../sim/proxmox/client-for.js';
import { startProxmoxSim, type ProxmoxSim } from '../sim/proxmox/index.js';

const sims: ProxmoxSim[] = [];
afterAll(() => Promise.all(sims.map((s) => s.stop())));

const vm = (name: string, node: string, over: Partial<VmDefinition> = {}): VmDefinition => ({
  name,
  target_node: node,
  cores: 1,
  memory: 1024,
  disks: { scsi0: { size: '8G' } },
  ...over,
});

describe.each([8, 9] as const)('PVE %i: the flow with the documented token', (major) => {
  it('calls only endpoints of the table, and every one it calls is marked as used', async () => {
    const sim = await startProxmoxSim({ timeScale: 0.02, pveVersion: major });
    sims.push(sim);
    let secret = '';
    for (const line of setupCommands(major)) secret = sim.pveum(line).value ?? secret;
    const log = memoryLogger();
    const client = proxmoxClientFor(
      { ...sim, tokenId: `${SETUP.user}!${SETUP.token}`, tokenSecret: secret },
      { log, retry: { attempts: 3, baseMs: 10, maxMs: 50 }, storageLimiter: new KeyedLimiter(1) },
    );
    const config = mergeConfig({
      health: { boot_grace_seconds: 1, agent_timeout_seconds: 2 },
      prune: { enabled: true },
    });
    const repo = (defs: VmDefinition[]) => ({
      config,
      vms: defs.map((d) => toVmSpec(d, `vms/${d.name}.yaml`, config)),
    });
    const env = { CI_CLOUDINIT_PASSWORD: 'pw-1' };
    const first = [
      vm('web', 'pve1', { network: { bridge: 'vmbr1', vlan: 20 } }),
      vm('db', 'pve2', { disks: { scsi0: { size: '8G' }, scsi1: { size: '4G' } } }),
      vm('old', 'pve1'),
    ];
    const a = await applyRepository(repo(first), { client, log, env }, { agentWaitMs: 1_500 });
    expect(a.failed, log.lines.join('\n')).toEqual([]);
    // Grow a disk, change CPU and memory, move a VM, and prune the one without a file.
    const second = [
      vm('web', 'pve1', { cores: 2, memory: 2048, network: { bridge: 'vmbr1', vlan: 20 } }),
      vm('db', 'pve1', { disks: { scsi0: { size: '10G' }, scsi1: { size: '4G' } } }),
    ];
    const b = await applyRepository(repo(second), { client, log, env }, { agentWaitMs: 1_500 });
    expect(b.failed, log.lines.join('\n')).toEqual([]);
    const kinds = b.plan.actions.map((x) => x.kind).sort();
    expect(kinds).toEqual(expect.arrayContaining(['delete', 'migrate', 'update']));
    const { plan } = await readAndPlan(repo(second), client, log);
    expect(plan.errors).toEqual([]);
    // Provisioning and kubeconfig publishing read host keys the same way, with this token.
    const keys = await trustedHostKeys({
      hosts: [{ name: 'web', address: '127.0.0.1' }],
      knownHosts: '',
      proxmox: client,
      trustOnFirstUse: false,
      log,
    });
    expect(keys.untrusted).toEqual([]);
    expect(keys.added).toMatch(/ssh-ed25519 /);
    await client.close();

    const called = Object.keys(sim.stats()).filter((k) => k !== 'mutations');
    const known = new Map(ENDPOINTS.map((e) => [`${e.method} ${e.path}`, e]));
    for (const key of called) {
      expect(known.has(key), `${key} is missing from actions/lib/proxmox/privileges.ts`).toBe(true);
      expect(known.get(key)!.usedBy, `${key} is called but marked unused`).not.toEqual([]);
    }
    expect(called).toEqual(
      expect.arrayContaining([
        'POST /nodes/{node}/qemu/{vmid}/clone',
        'PUT /nodes/{node}/qemu/{vmid}/config',
        'PUT /nodes/{node}/qemu/{vmid}/resize',
        'POST /nodes/{node}/qemu/{vmid}/migrate',
        'DELETE /nodes/{node}/qemu/{vmid}',
        'GET /access/permissions',
      ]),
    );
  });
});

describe('plan checks what PVE checks when it clones the template', () => {
  it('names SDN.Use on the template’s bridge when the token may use only the VM’s own', async () => {
    const sim = await startProxmoxSim({ timeScale: 0.02, pveVersion: 9 });
    sims.push(sim);
    const role = setupCommands(9)[1].replace(' SDN.Use', '');
    let secret = '';
    for (const line of [
      'pveum user add gitops@pve',
      role,
      'pveum role add NetOnly -privs "SDN.Use"',
      'pveum user token add gitops@pve ci --privsep 1',
      "pveum acl modify / --users gitops@pve --tokens 'gitops@pve!ci' --roles PVEGitops",
      "pveum acl modify /sdn/zones/localnetwork/vmbr1 --users gitops@pve --tokens 'gitops@pve!ci' --roles NetOnly",
    ])
      secret = sim.pveum(line).value ?? secret;
    const log = memoryLogger();
    const client = proxmoxClientFor(
      { ...sim, tokenId: 'gitops@pve!ci', tokenSecret: secret },
      { log },
    );
    const config = mergeConfig({});
    const specs = [vm('web', 'pve1', { network: { bridge: 'vmbr1' } })].map((d) =>
      toVmSpec(d, `vms/${d.name}.yaml`, config),
    );
    const { plan } = await readAndPlan({ config, vms: specs }, client, log);
    await client.close();
    // The template 9000's NIC is on vmbr0: qemu-server's clone runs check_bridge_access on it.
    expect(plan.errors.map((e) => e.message)).toEqual([
      expect.stringMatching(
        /^The token gitops@pve!ci lacks privilege SDN\.Use on \/sdn\/zones\/localnetwork\/vmbr0 \(VM web\), needed to clone its template, whose NIC is on that bridge; add it to the role with `pveum role modify PVEGitops --append 1 --privs "SDN\.Use"`/,
      ),
    ]);
  });
});
