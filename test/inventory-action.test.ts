import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BOT_EMAIL } from '../actions/lib/gitops/git.js';
import { ansibleInventory } from './inventory-helpers.js';
import { buildAction, originAndClone, runAction, sh } from './tags-helpers.js';

let root: string;
let bundle: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'pve-gitops-inv-action-'));
  bundle = await buildAction('inventory', path.join(root, 'dist'));
}, 60_000);
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function repoWithVms(): { clone: string; origin: string } {
  const r = originAndClone(mkdtempSync(path.join(root, 'repo-')));
  mkdirSync(path.join(r.clone, 'vms'));
  writeFileSync(
    path.join(r.clone, 'vms', 'k8s-a.yaml'),
    'name: k8s-a\ntarget_node: pve1\nipconfig0: ip=dhcp\nk3s:\n  role: server\n',
  );
  writeFileSync(
    path.join(r.clone, 'vms', 'haproxy-1.yaml'),
    'name: haproxy-1\ntarget_node: pve1\nipconfig0: ip=127.0.0.10/8,gw=127.0.0.1\n',
  );
  sh(r.clone, 'add', '.');
  sh(r.clone, 'commit', '--quiet', '-m', 'feat: two VMs [ansible k8s-a]');
  sh(r.clone, 'push', '--quiet', 'origin', 'main');
  return r;
}

describe('the inventory action bundle', () => {
  it('renders with the apply output, commits as the bot and pushes; a second run commits nothing', async () => {
    const { clone, origin } = repoWithVms();
    const outputFile = path.join(root, 'out');
    const inputs = {
      'working-directory': '.',
      'new-hosts': JSON.stringify([
        { name: 'k8s-a', vmid: 101, node: 'pve1', ip: '127.0.0.11', new: true },
      ]),
      tags: 'k8s-a',
      commit: 'true',
      branch: 'main',
      check: 'false',
    };
    const r = runAction(bundle, { cwd: clone, outputFile, inputs });
    expect(r.code, r.stdout).toBe(0);
    expect(r.outputs).toMatchObject({
      changed: 'true',
      committed: 'true',
      files: 'inventory/k8s.ini inventory/new_hosts.txt',
      'new-hosts': '127.0.0.11,k8s-a\n',
    });
    expect(sh(origin, 'rev-parse', 'main')).toBe(r.outputs.sha);
    expect(sh(origin, 'log', '-1', '--format=%ae|%s', 'main')).toBe(
      `${BOT_EMAIL}|chore(inventory): k8s-a [ansible k8s-a]`,
    );
    expect(readFileSync(path.join(clone, 'inventory/new_hosts.txt'), 'utf8')).toBe(
      '127.0.0.11,k8s-a\n',
    );
    const inv = await ansibleInventory(path.join(clone, 'inventory/k8s.ini'));
    expect(inv.groups).toMatchObject({
      haproxy: ['haproxy-1'],
      k3s: ['k8s-a'],
      k3s_server: ['k8s-a'],
    });
    expect(inv.hostvars['k8s-a']).toMatchObject({ ansible_host: '127.0.0.11' });

    const again = runAction(bundle, { cwd: clone, outputFile, inputs });
    expect(again.code, again.stdout).toBe(0);
    expect(again.outputs).toMatchObject({
      changed: 'false',
      committed: 'false',
      sha: r.outputs.sha,
    });
  });

  it('refuses a tags input that is not a list of tag names, changing nothing', () => {
    const { clone } = repoWithVms();
    const r = runAction(bundle, {
      cwd: clone,
      outputFile: path.join(root, 'out2'),
      inputs: { tags: 'ok $(reboot)', commit: 'true', branch: 'main', check: 'false' },
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("::error::The tags input holds '$(reboot)'");
    expect(sh(clone, 'status', '--porcelain')).toBe('');
  });
});
