import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startProxmoxSim, type ProxmoxSim } from '../sim/proxmox/index.js';

let sim: ProxmoxSim;
const dir = mkdtempSync(path.join(tmpdir(), 'pve-sim-3p-'));
const caFile = path.join(dir, 'ca.pem');

beforeAll(async () => {
  sim = await startProxmoxSim({ timeScale: 0.01 });
  writeFileSync(caFile, sim.caPem, { mode: 0o600 });
});
afterAll(async () => {
  await sim.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs a child asynchronously: the simulator answers from this very event loop. */
function run(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env, encoding: 'utf8', timeout: 120_000 }, (_err, stdout, stderr) =>
      resolve({ stdout, stderr }),
    );
  });
}

// The secret travels in the environment, never in argv.
const env = () => ({
  ...process.env,
  SIM_HOST: new URL(sim.url).host,
  SIM_SECRET: sim.tokenSecret,
  SIM_CA: caFile,
});

it('serves proxmoxer (Debian python3-proxmoxer) unchanged', async () => {
  const script = `
import os, time
from proxmoxer import ProxmoxAPI
p = ProxmoxAPI(os.environ['SIM_HOST'], user='root@pam', token_name='pve-gitops',
               token_value=os.environ['SIM_SECRET'], verify_ssl=os.environ['SIM_CA'])
def wait(node, upid):
    while True:
        s = p.nodes(node).tasks(upid).status.get()
        if s['status'] == 'stopped':
            return s['exitstatus']
        time.sleep(0.02)
print(','.join(sorted(n['node'] for n in p.nodes.get())))
upid = p.nodes('pve1').qemu(9000).clone.post(newid=400, name='py-1', full=1)
print(wait('pve1', upid))
print(p.nodes('pve1').qemu(400).config.get()['name'])
print(wait('pve1', p.nodes('pve1').qemu(400).delete()))
print(len([v for v in p.cluster.resources.get(type='vm') if v['vmid'] == 400]))
`;
  const r = await run('/usr/bin/python3', ['-c', script], env());
  expect(r.stderr).toBe('');
  expect(r.stdout.trim().split('\n')).toEqual(['pve1,pve2,still-fawn', 'OK', 'py-1', 'OK', '0']);
});

it('serves Ansible community.general.proxmox_kvm: clone, then start', async () => {
  const common = `api_host: "{{ lookup('env', 'SIM_HOST') }}"
        api_user: root@pam
        api_token_id: pve-gitops
        api_token_secret: "{{ lookup('env', 'SIM_SECRET') }}"
        validate_certs: true
        node: pve1`;
  const playbook = `- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - community.general.proxmox_kvm:
        ${common}
        clone: ubuntu-24.04-cloudinit
        vmid: 9000
        newid: 410
        name: ans-1
        full: false
        timeout: 30
    - community.general.proxmox_kvm:
        ${common}
        vmid: 410
        state: started
        timeout: 30
`;
  const file = path.join(dir, 'play.yml');
  writeFileSync(file, playbook);
  const r = await run(
    'ansible-playbook',
    ['-i', 'localhost,', '-e', 'ansible_python_interpreter=/usr/bin/python3', file],
    {
      ...env(),
      REQUESTS_CA_BUNDLE: caFile,
      ANSIBLE_NOCOLOR: '1',
      ANSIBLE_LOCAL_TEMP: path.join(dir, 'tmp'),
    },
  );
  expect(r.stdout).toMatch(/ok=2\s+changed=2\s+unreachable=0\s+failed=0/);
  const vm = sim.cluster.vm(410);
  expect([vm?.config.name, vm?.status, vm?.config.lock]).toEqual(['ans-1', 'running', undefined]);
});
