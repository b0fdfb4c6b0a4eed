import { UsageError } from '../../lib/errors.js';
import type { Command } from '../command.js';
import { completionScript, SHELLS } from '../completion.js';

const command: Command = {
  summary: 'Prints a shell completion script for bash, zsh or fish.',
  usage: 'pve-gitops completion bash|zsh|fish',
  details:
    'The script completes commands, options, VM names from vms/ (--only, --vm, --recreate) and contexts (--context), asking pve-gitops itself, so it follows the repository you are in.',
  options: {},
  subcommands: SHELLS,
  allowPositionals: true,
  examples: [
    [
      'eval "$(pve-gitops completion bash)"',
      'Complete in this bash session (add it to ~/.bashrc to keep it).',
    ],
    ['pve-gitops completion zsh > "${fpath[1]}/_pve-gitops"', 'Install the zsh completion.'],
    [
      'pve-gitops completion fish > ~/.config/fish/completions/pve-gitops.fish',
      'Install the fish completion.',
    ],
  ],
  run(_values, positionals, ctx) {
    const [shell, ...extra] = positionals;
    const known = SHELLS.find((s) => s === shell);
    if (!known || extra.length)
      throw new UsageError(`completion needs one of ${SHELLS.join(', ')}. Usage: ${command.usage}`);
    ctx.out(completionScript(known));
    return Promise.resolve(0);
  },
};
export default command;
