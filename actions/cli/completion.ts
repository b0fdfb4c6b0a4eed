import { loadRepository } from '../lib/vm/load.js';
import { GLOBAL_OPTIONS, type Command, type OptionSpec } from './command.js';

/**
 * Shell completion. Each script asks the command itself (`pve-gitops __complete WORD…`), so
 * commands, options and values come from the same declarations as `--help`, and VM names
 * and contexts from the repository at hand.
 */
export const SHELLS = ['bash', 'zsh', 'fish'] as const;

/** The script `pve-gitops completion SHELL` prints. */
export function completionScript(shell: (typeof SHELLS)[number]): string {
  if (shell === 'bash')
    return `# pve-gitops completion for bash: eval "$(pve-gitops completion bash)"
_pve_gitops() {
  local IFS=$'\\n' kind
  local -a out
  out=($(pve-gitops __complete "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null))
  kind="\${out[0]}"
  COMPREPLY=("\${out[@]:1}")
  case "$kind" in
    file) COMPREPLY=($(compgen -f -- "\${COMP_WORDS[COMP_CWORD]}")) ;;
    dir) COMPREPLY=($(compgen -d -- "\${COMP_WORDS[COMP_CWORD]}")) ;;
  esac
}
complete -o filenames -F _pve_gitops pve-gitops
`;
  if (shell === 'zsh')
    return `#compdef pve-gitops
# pve-gitops completion for zsh: eval "$(pve-gitops completion zsh)"
_pve_gitops() {
  local -a out
  out=("\${(@f)$(pve-gitops __complete "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  case "\${out[1]}" in
    file) _files ;;
    dir) _files -/ ;;
    *) compadd -- "\${(@)out[2,-1]}" ;;
  esac
}
compdef _pve_gitops pve-gitops
`;
  return `# pve-gitops completion for fish: pve-gitops completion fish | source
function __pve_gitops_complete
  set -l words (commandline -opc)[2..-1] (commandline -ct)
  set -l out (pve-gitops __complete $words 2>/dev/null)
  switch "$out[1]"
    case file dir
      __fish_complete_path (commandline -ct)
    case '*'
      printf '%s\\n' $out[2..-1]
  end
end
complete -c pve-gitops -f -a '(__pve_gitops_complete)'
`;
}

async function repoValues(repo: string, what: 'vm' | 'context'): Promise<string[]> {
  try {
    const { vms } = await loadRepository(repo);
    // A context is named after its cluster's first server (docs/kubeconfig.md).
    return vms
      .filter((v) => what === 'vm' || (v.k3s?.role === 'server' && !v.k3s.join))
      .map((v) => v.name);
  } catch {
    return [];
  }
}

/**
 * The candidates for the last of `words` (the words after `pve-gitops`, the last one being
 * completed). The first line is the kind: `words`, or `file`/`dir` for the shell to complete.
 */
export async function complete(
  words: string[],
  commands: Record<string, Command>,
): Promise<string[]> {
  const cur = words.at(-1) ?? '';
  const prev = words.at(-2);
  const match = (xs: readonly string[]) => ['words', ...xs.filter((x) => x.startsWith(cur))];
  const cmd = words.length > 1 ? commands[words[0]] : undefined;
  if (words.length <= 1) return match(Object.keys(commands).sort());
  if (!cmd) return ['words'];
  const specs: Record<string, OptionSpec> = { ...cmd.options, ...GLOBAL_OPTIONS };
  const spec = prev?.startsWith('--') ? specs[prev.slice(2)] : undefined;
  if (spec?.type === 'string') {
    const src = spec.complete;
    if (src === 'file' || src === 'dir') return [src];
    if (src === 'vm' || src === 'context') return match(await repoValues(repoOf(words), src));
    return match(src ?? []);
  }
  const positionals = words.slice(1, -1).filter((w) => !w.startsWith('-'));
  if (cmd.subcommands && !positionals.length && !cur.startsWith('-')) return match(cmd.subcommands);
  return match(Object.keys(specs).map((n) => `--${n}`));
}

/** `--repo DIR` among the words, else the current directory. */
function repoOf(words: string[]): string {
  const i = words.indexOf('--repo');
  return i >= 0 && words[i + 1] ? words[i + 1] : '.';
}
