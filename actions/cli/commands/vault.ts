import { execFileSync } from 'node:child_process';
import { UsageError } from '../../lib/errors.js';
import { locationOf, vaultFromEnv } from '../../lib/kubeconfig/vault-env.js';
import {
  applyVaultSetup,
  GITHUB_OIDC_ISSUER,
  vaultSetupItems,
  type VaultSetupOptions,
} from '../../lib/kubeconfig/vault-setup.js';
import { loadValidRepository } from '../../lib/vm/load.js';
import type { CliContext, Command } from '../cli.js';

const usage =
  'pve-gitops vault setup [--print] [--repository OWNER/REPO] [--reader OWNER/REPO]... [--ref REF | --environment NAME] [--auth-path PATH] [--audience AUD] [--prefix NAME] [--jwks-url URL]';

const REPO = /^[A-Za-z0-9][A-Za-z0-9-]*\/[A-Za-z0-9._-]+$/;

/** OWNER/REPO from --repository, GITHUB_REPOSITORY, or the `origin` remote on GitHub. */
function repositoryOf(values: Record<string, unknown>, ctx: CliContext): string {
  if (typeof values.repository === 'string') return values.repository;
  if (ctx.env.GITHUB_REPOSITORY) return ctx.env.GITHUB_REPOSITORY;
  let url: string;
  try {
    url = execFileSync('git', ['-C', ctx.repo, 'remote', 'get-url', 'origin'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    url = '';
  }
  const m = /github\.com[:/]([^/]+\/[^/]+?)(?:\.git)?\/?$/.exec(url);
  if (m) return m[1];
  throw new UsageError(
    `vault setup cannot tell which GitHub repository publishes (no --repository, no GITHUB_REPOSITORY, no GitHub origin remote). Usage: ${usage}`,
  );
}

function checkRepository(name: string, what: string): string {
  if (!REPO.test(name))
    throw new UsageError(`${what} '${name.slice(0, 80)}' is not an OWNER/REPO GitHub repository.`);
  return name;
}

async function setup(values: Record<string, unknown>, ctx: CliContext): Promise<number> {
  const { config } = await loadValidRepository(ctx.repo);
  const str = (k: string, d: string) => (typeof values[k] === 'string' ? values[k] : d);
  if (values.ref !== undefined && values.environment !== undefined)
    throw new UsageError('Give --ref or --environment, not both: the publisher binds one.');
  const repository = checkRepository(repositoryOf(values, ctx), '--repository');
  const readers = (Array.isArray(values.reader) ? values.reader : []).flatMap((r) =>
    String(r)
      .split(',')
      .filter(Boolean)
      .map((x) => checkRepository(x.trim(), '--reader')),
  );
  const o: VaultSetupOptions = {
    location: locationOf(config.vault),
    repository,
    readers,
    ref: str('ref', 'refs/heads/main'),
    environment: typeof values.environment === 'string' ? values.environment : undefined,
    authPath: str('auth-path', 'jwt').replace(/^\/+|\/+$/g, ''),
    readerAudience: str('audience', 'vault'),
    prefix: str('prefix', 'pve-gitops'),
    issuer: str('issuer', GITHUB_OIDC_ISSUER),
    jwksUrl: typeof values['jwks-url'] === 'string' ? values['jwks-url'] : undefined,
  };
  const items = vaultSetupItems(o);
  if (values.print === true) {
    ctx.out(
      [
        `# Vault setup for ${repository}; run as a Vault admin (VAULT_ADDR, VAULT_TOKEN).`,
        ...items.map((i) => `# ${i.what}\n${i.cli}`),
        '',
      ].join('\n'),
    );
    return 0;
  }
  const vault = vaultFromEnv(ctx.env);
  const done = await applyVaultSetup(vault, items, (r) => ctx.log.info(`${r.what}: ${r.outcome}`));
  const changed = done.filter((d) => d.outcome !== 'unchanged').length;
  ctx.out(
    `${changed ? `${changed} of ${done.length} items created or updated` : 'Vault was already set up; nothing changed'}. ` +
      `Publisher role ${o.prefix}-publish (${repository}), reader role ${o.prefix}-read (${(readers.length ? readers : [repository]).join(', ')}).\n`,
  );
  return 0;
}

/** `pve-gitops vault setup`: the KV v2 mount, JWT auth, policies and roles, idempotently. */
const command: Command = {
  summary:
    'Sets Vault up for kubeconfig publishing and fetching (KV v2 mount, GitHub OIDC auth, policies, roles); --print shows the vault commands instead.',
  usage,
  allowPositionals: true,
  details:
    'Needs a Vault admin token in VAULT_TOKEN for this run only (nothing stores it) and VAULT_ADDR. Idempotent: a second run changes nothing. See docs/kubeconfig.md.',
  subcommands: ['setup'],
  options: {
    print: {
      type: 'boolean',
      description: 'Print the equivalent vault CLI commands instead of connecting.',
    },
    repository: {
      type: 'string',
      value: 'OWNER/REPO',
      description: 'The repository whose workflows publish kubeconfigs.',
      default: 'GITHUB_REPOSITORY, else the GitHub origin remote',
    },
    reader: {
      type: 'string',
      multiple: true,
      value: 'OWNER/REPO',
      description: 'A repository whose jobs may fetch kubeconfigs.',
      default: 'the publishing repository',
    },
    ref: {
      type: 'string',
      value: 'REF',
      description: 'The ref the publisher role binds.',
      default: 'refs/heads/main',
    },
    environment: {
      type: 'string',
      value: 'NAME',
      description: 'Bind the publisher to this GitHub environment instead of a ref.',
    },
    'auth-path': {
      type: 'string',
      value: 'PATH',
      description: 'The JWT auth mount.',
      default: 'jwt',
    },
    audience: {
      type: 'string',
      value: 'AUD',
      description: "The audience reading jobs ask for (the kubeconfig action's vault-audience).",
      default: 'vault',
    },
    prefix: {
      type: 'string',
      value: 'NAME',
      description: 'Prefix of the policy and role names.',
      default: 'pve-gitops',
    },
    issuer: {
      type: 'string',
      value: 'URL',
      description: 'The OIDC issuer to trust.',
      default: 'https://token.actions.githubusercontent.com',
    },
    'jwks-url': {
      type: 'string',
      value: 'URL',
      description: 'Take the signing keys from this JWKS URL instead of OIDC discovery.',
    },
  },
  examples: [
    [
      'pve-gitops vault setup --repository acme/homelab --reader acme/apps',
      'Set Vault up; acme/apps may fetch kubeconfigs too.',
    ],
    ['pve-gitops vault setup --print > vault-setup.sh', 'The same as vault commands to review.'],
  ],
  async run(values, positionals, ctx) {
    const [sub, ...extra] = positionals;
    if (sub !== 'setup' || extra.length)
      throw new UsageError(`vault needs 'setup'. Usage: ${usage}`);
    return setup(values, ctx);
  },
};
export default command;
