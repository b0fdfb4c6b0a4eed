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
  options: { json: { type: 'boolean' } },
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
