import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigurationError, UsageError } from '../../lib/errors.js';
import { gitExec } from '../../lib/gitops/git.js';
import { resolveTags, type TagSource } from '../../lib/gitops/resolve-tags.js';
import { formatRun } from '../../lib/gitops/tags.js';
import type { Command } from '../cli.js';

async function readEvent(file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new ConfigurationError(`Cannot read the event file ${file}.`);
  }
  try {
    const event = JSON.parse(text) as unknown;
    if (event && typeof event === 'object' && !Array.isArray(event))
      return event as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new ConfigurationError(`${file} is not a GitHub event payload (a JSON object).`);
}

/**
 * `pve-gitops tags`: prints one playbook run per line, `k8s.yml --limit k8s-foo` or
 * `haproxy.yml`. With --event the local refs/pve-gitops/applied is used as it is (fetch it
 * first to match CI); exit 1 naming the commit on any bad tag.
 */
const command: Command = {
  summary:
    'Prints the playbooks that [ansible NAME] tags ask for, one a line (playbook [--limit host]).',
  usage:
    'pve-gitops tags (--event FILE | --message TEXT | --range A..B) [--look-alikes fail|warn] [--repo DIR]',
  options: {
    event: {
      type: 'string',
      value: 'FILE',
      description:
        'A GitHub push event (GITHUB_EVENT_PATH): the tags of its commits since refs/pve-gitops/applied.',
      complete: 'file',
    },
    message: { type: 'string', value: 'TEXT', description: 'The tags of one commit message.' },
    range: {
      type: 'string',
      value: 'A..B',
      description: 'The tags of the commits in a git range.',
    },
    'look-alikes': {
      type: 'string',
      value: 'fail|warn',
      description:
        'What a look-alike tag (fullwidth brackets, a Cyrillic letter, a space after the bracket) is: an error, or a warning as on a pull request.',
      default: 'fail',
      complete: ['fail', 'warn'],
    },
  },
  examples: [
    ['pve-gitops tags --range origin/main..HEAD', 'The playbooks your unpushed commits ask for.'],
    [
      "pve-gitops tags --message 'feat: new VM [ansible k8s-foo]'",
      'Check what a commit message would run.',
    ],
  ],
  async run(values, _positionals, ctx) {
    const given = (['event', 'message', 'range'] as const).filter(
      (k) => typeof values[k] === 'string',
    );
    if (given.length !== 1)
      throw new UsageError(
        `Give exactly one of --event, --message or --range. Usage: ${command.usage}`,
      );
    let source: TagSource;
    if (typeof values.event === 'string') {
      source = {
        kind: 'event',
        event: await readEvent(path.resolve(values.event)),
        fetchApplied: false,
      };
    } else if (typeof values.message === 'string') {
      source = { kind: 'message', message: values.message };
    } else {
      source = { kind: 'range', range: String(values.range) };
    }
    const lookAlikes = values['look-alikes'] ?? 'fail';
    if (lookAlikes !== 'fail' && lookAlikes !== 'warn')
      throw new UsageError(`--look-alikes must be fail or warn. Usage: ${command.usage}`);
    const r = await resolveTags({
      repoDir: ctx.repo,
      exec: gitExec(ctx.repo),
      source,
      lookAlikes: lookAlikes === 'warn' ? 'warning' : 'error',
      log: ctx.log,
    });
    ctx.out(r.runs.map((x) => `${formatRun(x)}\n`).join(''));
    if (!r.runs.length) ctx.log.info('No playbooks to run.');
    return 0;
  },
};
export default command;
