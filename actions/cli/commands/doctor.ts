import { connectFromEnv } from '../../lib/reconcile/connect.js';
import { proxmoxDoctor, type DoctorReport } from '../../lib/reconcile/doctor.js';
import { vaultDoctor } from '../../lib/reconcile/doctor-vault.js';
import { loadValidRepository } from '../../lib/vm/load.js';
import type { Command } from '../cli.js';

/** The report as people read it: the cluster, then one sentence per problem and warning. */
function render(r: DoctorReport): string {
  const lines = [
    `Proxmox VE ${r.pve.version} (PVE ${r.pve.major}), token ${r.token}`,
    `nodes: ${r.pve.nodes.map((n) => `${n.name} (${n.status})`).join(', ')}`,
  ];
  if (r.vault)
    lines.push(
      `vault: ${r.vault.address}, ${r.vault.path}: ${r.vault.capabilities.join(', ') || 'no capabilities'}`,
    );
  for (const p of r.problems) lines.push(`problem: ${p.message}`);
  for (const w of r.warnings) lines.push(`warning: ${w.message}`);
  lines.push(
    r.ok
      ? 'Ready: nothing missing.'
      : `${r.problems.length} problem(s) to fix before plan and apply.`,
  );
  return `${lines.join('\n')}\n`;
}

const command: Command = {
  summary:
    'Checks the token, its privileges, templates, bridges, storages and Vault before a run. Exit 0 ready, 1 problems.',
  usage: 'pve-gitops doctor [--json] [--repo DIR]',
  details:
    "Connects as plan and apply do (PROXMOX_* environment), reads /access/permissions and names every privilege this repository's VM files need that the token lacks, per path, with the pveum command that grants it; warns about privileges beyond need; checks templates (agent, cloud-init drive), bridges, storages and offline nodes; with VAULT_ADDR set, the kubeconfig path's capabilities and that the mount is KV v2. See docs/proxmox.md.",
  options: {
    json: {
      type: 'boolean',
      description: 'Print the report as JSON on stdout (schemas/doctor.schema.json).',
    },
  },
  examples: [
    ['pve-gitops doctor', 'Check the setup before the first plan; one sentence per problem.'],
    ['pve-gitops doctor --json | jq .problems', 'The problems, for a script.'],
  ],
  async run(values, _positionals, ctx) {
    const repo = await loadValidRepository(ctx.repo);
    const client = await connectFromEnv(ctx.env, repo.config, ctx.log);
    let report: DoctorReport;
    try {
      report = await proxmoxDoctor(client, repo.vms, ctx.log);
    } finally {
      await client.close();
    }
    if (ctx.env.VAULT_ADDR?.trim()) await vaultDoctor(report, repo.config, ctx.env, ctx.log);
    report.ok = report.problems.length === 0;
    ctx.out(values.json ? `${JSON.stringify(report, null, 2)}\n` : render(report));
    return report.ok ? 0 : 1;
  },
};
export default command;
