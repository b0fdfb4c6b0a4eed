// The privilege table against the official API schemas (vendor/pve-api, the `permissions`
// field of each method) and pve-access-control's privilege lists per release.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { REQUIRED_PRIVILEGES } from './https-transport.js';
import { rolePrivileges, vmRequirements } from './needs.js';
import { ENDPOINTS, VALID_PRIVILEGES, configKeyChecks, type PveMajor } from './privileges.js';

interface SchemaNode {
  path: string;
  info?: Record<string, { permissions?: { check?: unknown[]; user?: string } }>;
  children?: SchemaNode[];
}
function schema(major: PveMajor): Map<string, { check?: unknown[]; user?: string }> {
  const file = path.resolve(
    import.meta.dirname,
    `../../../vendor/pve-api/pve${major}-apischema.json.gz`,
  );
  const tree = JSON.parse(gunzipSync(readFileSync(file)).toString('utf8')) as SchemaNode[];
  const out = new Map<string, { check?: unknown[]; user?: string }>();
  const walk = (nodes: SchemaNode[]) => {
    for (const n of nodes) {
      for (const [m, i] of Object.entries(n.info ?? {}))
        out.set(`${m} ${n.path}`, i.permissions ?? {});
      walk(n.children ?? []);
    }
  };
  walk(tree);
  return out;
}

/** The perm checks of a schema check expression, flattened (`or` branches with require_param dropped). */
function perms(check: unknown[] | undefined): { path: string; privs: string[]; any: boolean }[] {
  if (!check) return [];
  const [kind, ...rest] = check;
  if (kind === 'perm') {
    const [p, privs, ...opts] = rest as [string, string[], ...unknown[]];
    if (opts.includes('require_param')) return [];
    return [{ path: p, privs, any: opts.includes('any') }];
  }
  return rest.flatMap((r) => perms(r as unknown[]));
}

describe('the privilege table', () => {
  for (const major of [8, 9] as const) {
    it(`PVE ${major}: every endpoint exists in the schema and carries its schema checks`, () => {
      const s = schema(major);
      for (const e of ENDPOINTS) {
        const p = s.get(`${e.method} ${e.path}`);
        expect(p, `${e.method} ${e.path}`).toBeDefined();
        for (const c of perms(p!.check)) {
          // Schema checks on the path itself must be in the table (config's "any" aside:
          // qemu-server checks each key in code, see CONFIG_KEYS).
          if (e.path.endsWith('/config') && c.any) continue;
          expect(e.checks[major], `${e.method} ${e.path} ${JSON.stringify(c)}`).toContainEqual(
            expect.objectContaining({ path: c.path, privs: c.privs }),
          );
        }
      }
    });

    it(`PVE ${major}: every privilege named is one PVE ${major} knows`, () => {
      const named = ENDPOINTS.flatMap((e) => e.checks[major].flatMap((c) => c.privs));
      for (const p of [...named, ...rolePrivileges(major)])
        expect(VALID_PRIVILEGES[major]).toContain(p);
    });
  }

  it('derives a least-privilege role per release', () => {
    const common = [
      'Datastore.AllocateSpace',
      'Datastore.Audit',
      'SDN.Use',
      'Sys.Audit',
      'VM.Allocate',
      'VM.Audit',
      'VM.Clone',
      'VM.Config.CPU',
      'VM.Config.Disk',
      'VM.Config.Memory',
      'VM.Config.Network',
      'VM.Config.Options',
      'VM.Migrate',
      'VM.PowerMgmt',
    ];
    expect(rolePrivileges(8)).toEqual([...common, 'VM.Monitor'].sort());
    expect(rolePrivileges(9)).toEqual(
      [...common, 'VM.GuestAgent.Audit', 'VM.GuestAgent.FileRead'].sort(),
    );
    for (const major of [8, 9] as const)
      for (const never of [
        'VM.GuestAgent.Unrestricted',
        'VM.Config.CDROM',
        'VM.Config.HWType',
        'Sys.Modify',
        // cloud-init keys take Cloudinit or Network, and Network is needed for net0 anyway
        'VM.Config.Cloudinit',
      ])
        expect(rolePrivileges(major)).not.toContain(never);
  });

  it('the 401 sentence names every privilege of both roles', () => {
    for (const major of [8, 9] as const)
      for (const p of rolePrivileges(major)) expect(REQUIRED_PRIVILEGES).toContain(p);
  });

  it('names the per-key checks of check_vm_modify_config_perm, bridges and new disks', () => {
    expect(configKeyChecks('net0', 'virtio,bridge=vmbr1,tag=30')).toEqual([
      { path: '/vms/{vmid}', privs: ['VM.Config.Network'] },
      { path: '/sdn/zones/localnetwork/vmbr1/30', privs: ['SDN.Use'] },
    ]);
    expect(configKeyChecks('scsi1', 'local-lvm:32')).toContainEqual({
      path: '/storage/local-lvm',
      privs: ['Datastore.AllocateSpace'],
    });
    expect(configKeyChecks('sshkeys')).toEqual([
      { path: '/vms/{vmid}', privs: ['VM.Config.Cloudinit', 'VM.Config.Network'], any: true },
    ]);
  });

  it('puts a VM lifecycle on concrete paths', () => {
    const reqs = vmRequirements(
      9,
      {
        name: 'web',
        node: 'pve2',
        vmid: 120,
        bridge: 'vmbr1',
        storages: ['fast'],
        fullClone: true,
        template: { vmid: 9001, storages: ['local-lvm'], bridges: ['vmbr0'] },
      },
      ['clone', 'agent'],
    );
    const flat = reqs.map((r) => `${r.path} ${r.privs.join('|')}`);
    expect(flat).toEqual([
      '/vms/120 VM.GuestAgent.Audit|VM.GuestAgent.Unrestricted',
      '/vms/120 VM.GuestAgent.FileRead|VM.GuestAgent.Unrestricted',
      '/vms/9001 VM.Clone',
      '/vms/120 VM.Allocate',
      '/storage/fast Datastore.AllocateSpace',
      '/sdn/zones/localnetwork/vmbr0 SDN.Use',
    ]);
  });
});
