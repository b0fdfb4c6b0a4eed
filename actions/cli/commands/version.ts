import type { Command } from '../cli.js';

declare const PVE_GITOPS_VERSION: string | undefined;

const command: Command = {
  summary: 'Prints the pve-gitops version.',
  usage: 'pve-gitops version',
  options: {},
  examples: [['pve-gitops version', 'Print the version, e.g. 0.1.0.']],
  run(_values, _positionals, ctx) {
    ctx.out(`${typeof PVE_GITOPS_VERSION === 'string' ? PVE_GITOPS_VERSION : 'dev'}\n`);
    return Promise.resolve(0);
  },
};
export default command;
