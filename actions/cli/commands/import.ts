import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import { loadConfig } from '../../lib/config/load.js';
import { ConfigurationError, UsageError } from '../../lib/errors.js';
import {
  importTerraformVm,
  TERRAFORM_EXCLUDED,
  type ImportedVm,
} from '../../lib/migrate/terraform.js';
import { formatDiagnostic } from '../../lib/vm/diagnostics.js';
import { loadRepository, VMS_DIR } from '../../lib/vm/load.js';
import type { Command } from '../command.js';

const usage = 'pve-gitops import terraform DIR [--write] [--force] [--repo DIR]';

/** The Terraform-era VM files of DIR: DIR/vms/*.yaml, else DIR/*.yaml. */
function sourceFiles(dir: string): string[] {
  const vms = path.join(dir, 'vms');
  const from = existsSync(vms) && lstatSync(vms).isDirectory() ? vms : dir;
  let names: string[];
  try {
    names = readdirSync(from);
  } catch {
    throw new ConfigurationError(
      `Cannot read the folder ${dir}: give the Terraform proxmox/ folder.`,
    );
  }
  return names
    .filter((n) => /\.ya?ml$/.test(n))
    .sort()
    .map((n) => path.join(from, n))
    .filter((f) => lstatSync(f).isFile());
}

function fileText(vm: ImportedVm): string {
  return (
    `# Imported from ${vm.source} by pve-gitops import terraform.\n` +
    stringify(vm.definition, { lineWidth: 0 })
  );
}

function report(vm: ImportedVm): string {
  const lines = [`${VMS_DIR}/${vm.name}.yaml  <-  ${vm.source}`];
  lines.push(`  inventory groups: ${vm.groups.length ? vm.groups.join(', ') : 'none'}`);
  for (const d of vm.dropped) lines.push(`  dropped ${d.field}: ${d.reason}`);
  for (const n of vm.notes) lines.push(`  note: ${n}`);
  return lines.join('\n');
}

const command: Command = {
  summary:
    'Turns Terraform-era VM files (the proxmox/vms/*.yaml of a Terraform + Ansible pipeline) into pve-gitops VM files.',
  usage,
  details:
    "Each value whose default differs between that pipeline and pve-gitops (cores 1, memory 1024, linked clones, no agent, firewall on) is written explicitly, so the VMs plan as they are. cipassword is never copied: set the CI_CLOUDINIT_PASSWORD secret. k8s-home.yaml and boot-server.yaml are skipped, as that pipeline's Terraform skipped them. Without --write it prints the files and the report and writes nothing.",
  subcommands: ['terraform'],
  allowPositionals: true,
  options: {
    write: {
      type: 'boolean',
      description: 'Write the files into vms/ of the repository and validate it.',
    },
    force: {
      type: 'boolean',
      description:
        'Overwrite VM files that exist already (without it, any such file stops the import).',
    },
  },
  examples: [
    [
      'pve-gitops import terraform ../old-infra/proxmox',
      'Show what the import would write, and what it drops.',
    ],
    [
      'pve-gitops import terraform ../old-infra/proxmox --write',
      'Write the VM files, then validate.',
    ],
  ],
  async run(values, positionals, ctx) {
    const [kind, dir, ...extra] = positionals;
    if (kind !== 'terraform' || !dir || extra.length)
      throw new UsageError(`import needs 'terraform DIR'. Usage: ${usage}`);
    const loaded = await loadConfig(ctx.repo);
    const wrong = loaded.diagnostics.find((d) => d.severity === 'error');
    if (wrong)
      throw new ConfigurationError(`${formatDiagnostic(wrong)} Fix pve-gitops.yaml first.`);
    const { config } = loaded;
    const src = path.resolve(dir);
    const imported: ImportedVm[] = [];
    for (const file of sourceFiles(src)) {
      const rel = path.relative(process.cwd(), file) || file;
      if (TERRAFORM_EXCLUDED.includes(path.basename(file))) {
        ctx.log.info(`Skipped ${rel}: that pipeline's Terraform never managed it either.`);
        continue;
      }
      imported.push(importTerraformVm(readFileSync(file, 'utf8'), rel, config));
    }
    if (!imported.length) throw new ConfigurationError(`No Terraform-era VM files in ${src}.`);
    const seen = new Map<string, string>();
    for (const vm of imported) {
      const other = seen.get(vm.name);
      if (other)
        throw new ConfigurationError(`${vm.source} and ${other} both define VM ${vm.name}.`);
      seen.set(vm.name, vm.source);
    }
    for (const vm of imported) ctx.log.info(report(vm));
    if (values.write !== true) {
      ctx.out(imported.map((vm) => `# --- ${VMS_DIR}/${vm.name}.yaml\n${fileText(vm)}`).join(''));
      return 0;
    }
    const target = (vm: ImportedVm) => path.join(ctx.repo, VMS_DIR, `${vm.name}.yaml`);
    const clash = imported.find((vm) => existsSync(target(vm)));
    if (clash && values.force !== true)
      throw new ConfigurationError(
        `${VMS_DIR}/${clash.name}.yaml exists already; nothing was written (--force overwrites).`,
      );
    for (const vm of imported) await writeFile(target(vm), fileText(vm));
    const repo = await loadRepository(ctx.repo);
    for (const d of repo.diagnostics) ctx.log.info(formatDiagnostic(d));
    const bad = repo.diagnostics.filter((d) => d.severity === 'error').length;
    ctx.out(
      `Wrote ${imported.length} VM file${imported.length === 1 ? '' : 's'} to ${VMS_DIR}/; ${bad ? `${bad} validation errors to fix` : 'the repository validates'}.\n`,
    );
    return bad ? 1 : 0;
  },
};
export default command;
