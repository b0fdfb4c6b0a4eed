// `pve-gitops validate` over 1,000 VM files: the whole CLI process, 5 runs, median seconds.
// Target: at most 1.0 s. Also reports the CLI bundle size and the cold start on an empty repo.
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cli, median, root, timeProcess } from './util.js';

const FILES = 1000;
const RUNS = 5;

function vmFile(i: number): string {
  const name = `vm-${String(i).padStart(4, '0')}`;
  return [
    '# yaml-language-server: $schema=../schemas/vm.schema.json',
    `name: ${name}`,
    `target_node: pve${(i % 3) + 1}`,
    `vmid: ${1000 + i}`,
    'cores: 2',
    'memory: 4096',
    `ipconfig0: ip=10.${i >> 8}.${i & 255}.10/24,gw=10.${i >> 8}.${i & 255}.1,ip6=dhcp`,
    'network:',
    '  bridge: vmbr0',
    '  firewall: true',
    'disks:',
    '  scsi0:',
    '    size: 32G',
    '  scsi1:',
    '    size: 100G',
    '    mount: /mnt/data',
    'tags: [bench, k8s]',
    i % 10 === 0
      ? 'k3s: {role: server}'
      : `k3s: {role: agent, join: vm-${String(i - (i % 10)).padStart(4, '0')}}`,
    '',
  ].join('\n');
}

export default async function (): Promise<Record<string, unknown>> {
  const repo = await mkdtemp(path.join(tmpdir(), 'pve-gitops-bench-validate-'));
  const empty = await mkdtemp(path.join(tmpdir(), 'pve-gitops-bench-empty-'));
  try {
    await mkdir(path.join(repo, 'vms'));
    await mkdir(path.join(empty, 'vms'));
    await Promise.all(
      Array.from({ length: FILES }, (_, i) =>
        writeFile(path.join(repo, 'vms', `vm-${String(i).padStart(4, '0')}.yaml`), vmFile(i)),
      ),
    );
    timeProcess([cli, 'validate'], { cwd: repo }); // warm the file cache
    const runs = Array.from({ length: RUNS }, () => timeProcess([cli, 'validate'], { cwd: repo }));
    const cold = Array.from({ length: RUNS }, () => timeProcess([cli, 'validate'], { cwd: empty }));
    const round = (s: number) => Math.round(s * 1000) / 1000;
    const seconds = round(median(runs));
    return {
      files: FILES,
      runs: runs.map(round),
      medianSeconds: seconds,
      targetSeconds: 1.0,
      withinTarget: seconds <= 1.0,
      emptyRepoMedianSeconds: round(median(cold)),
      // The CLI entry is two lines; its code is in the shared bundle every step loads.
      sharedBundleBytes: (await stat(path.join(root, 'actions/dist/index.cjs'))).size,
    };
  } finally {
    await rm(repo, { recursive: true, force: true });
    await rm(empty, { recursive: true, force: true });
  }
}
