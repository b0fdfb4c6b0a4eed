import { ConfigurationError } from '../errors.js';
import { showTagText } from './look-alike-tags.js';

/** What may follow `[ansible ` — a playbook name or a `k8s-*` host name. */
export const TAG_NAME = /^[a-z0-9][a-z0-9_.-]{0,62}$/;

/** One playbook run: `playbooks/<playbook>`, optionally limited to one host. */
export interface PlaybookRun {
  playbook: string;
  limit?: string;
}

/** Answers whether the repository has what a tag names. */
export interface TagResolver {
  /** Whether `playbooks/<file>` exists and can be run (file like `haproxy.yml`). */
  playbookExists: (file: string) => boolean;
  /** Why `playbooks/<file>` cannot be run (`does not exist`, `is not a list of plays…`). */
  playbookProblem?: (file: string) => string | undefined;
  /** Whether a VM of that name is defined; when absent, any `k8s-*` name is accepted. */
  hostExists?: (name: string) => boolean;
}

/** A commit subject quoted for a message: control and non-ASCII characters escaped, cut at 72. */
export function quoteSubject(subject: string): string {
  // Escaped, not blanked: the subject shown is the one read (a zero-width space stays visible).
  const clean = showTagText(subject.trim());
  return `"${clean.length > 72 ? `${clean.slice(0, 69)}...` : clean}"`;
}

/**
 * Every `[ansible NAME]` in a text, in order. Any other text starting `[ansible` (any case) —
 * a missing or invalid name, path separators, `..`, spaces, shell characters, a missing
 * `]` on the same line — is returned as an error, because guessing could run the wrong
 * playbook. Each error is a fragment naming the offending text.
 */
export function extractTags(text: string): { names: string[]; errors: string[] } {
  const names: string[] = [];
  const errors: string[] = [];
  const marker = /\[ansible/gi;
  for (let m = marker.exec(text); m; m = marker.exec(text)) {
    const rest = text.slice(m.index);
    const line = rest.split('\n', 1)[0];
    const close = line.indexOf(']');
    if (close < 0) {
      errors.push(`'${showTagText(line.slice(0, 40))}' has no closing ']'`);
      continue;
    }
    const tag = line.slice(0, close + 1);
    const name = tag.slice('[ansible '.length, -1);
    if (!tag.startsWith('[ansible ') || !TAG_NAME.test(name) || name.includes('..')) {
      errors.push(
        `'${showTagText(tag.slice(0, 80))}' is not a valid tag; write [ansible NAME] with one space and a NAME of ` +
          `lower-case letters, digits, '.', '_' and '-' (no '/', '..' or spaces)`,
      );
      continue;
    }
    names.push(name);
  }
  return { names, errors };
}

/**
 * What a tag NAME runs: `playbooks/NAME.yml` when it exists, else for a `k8s-*` host name
 * the k3s playbook limited to that host. Returns an error fragment otherwise.
 */
export function resolveTag(name: string, resolver: TagResolver): PlaybookRun | string {
  if (resolver.playbookExists(`${name}.yml`)) return { playbook: `${name}.yml` };
  // A file that exists but cannot run (requirements.yml, a play without hosts) is named as such.
  const why = resolver.playbookProblem?.(`${name}.yml`);
  if (why && why !== 'does not exist')
    return `[ansible ${name}] names playbooks/${name}.yml, which ${why}`;
  if (name.startsWith('k8s-')) {
    if (resolver.hostExists && !resolver.hostExists(name)) {
      return `[ansible ${name}] names no playbook and no VM; there is no playbooks/${name}.yml and no vms/${name}.yaml`;
    }
    if (!resolver.playbookExists('k8s.yml'))
      return `[ansible ${name}] needs playbooks/k8s.yml, which is missing`;
    return { playbook: 'k8s.yml', limit: name };
  }
  return `[ansible ${name}] names no playbook; there is no playbooks/${name}.yml`;
}

/** `k8s.yml --limit k8s-foo` / `haproxy.yml`: the line format `pve-gitops tags` prints. */
export function formatRun(run: PlaybookRun): string {
  return run.limit ? `${run.playbook} --limit ${run.limit}` : run.playbook;
}

/** Parses a line printed by `formatRun`, refusing anything else. */
export function parseRun(line: string): PlaybookRun {
  const m = /^([a-z0-9][a-z0-9_.-]{0,62}\.yml)(?: --limit ([a-z0-9][a-z0-9-]{0,62}))?$/.exec(
    line.trim(),
  );
  if (!m || m[1].includes('..')) {
    throw new ConfigurationError(
      `'${line.slice(0, 80)}' is not a playbook line like 'k8s.yml --limit k8s-foo'.`,
    );
  }
  return m[2] ? { playbook: m[1], limit: m[2] } : { playbook: m[1] };
}

/** Appends runs not yet present (same playbook and limit), keeping first-seen order. */
export function addUnique(list: PlaybookRun[], run: PlaybookRun): void {
  if (!list.some((r) => r.playbook === run.playbook && r.limit === run.limit)) list.push(run);
}
