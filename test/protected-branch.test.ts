// A protected main, as GitHub refuses it: a local bare repository whose pre-receive hook
// declines pushes to refs/heads/main with GitHub's ruleset text, and a loopback fake of the
// rules API. GitHub's words, from refused pushes reported in public issues
// (JRedrupp/bison#136, keithamus/css-minify-tests#198):
//   remote: error: GH013: Repository rule violations found for refs/heads/main.
//   remote: - Changes must be made through a pull request.
//    ! [remote rejected] main -> main (push declined due to repository rule violations)
import { chmodSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  commitInventory,
  InventoryPushRefused,
  pushFailure,
  REFUSED_INVENTORY_REF,
} from '../actions/lib/gitops/commit.js';
import { gitExec, type GitExec } from '../actions/lib/gitops/git.js';
import { checkInventoryPush } from '../actions/lib/gitops/push-check.js';
import { githubBranchRules } from '../actions/lib/github/branch-rules.js';
import { memoryLogger } from '../actions/lib/log.js';
import { gitEnv, originAndClone, sh } from './tags-helpers.js';

const FILES = ['inventory/k8s.ini', 'inventory/new_hosts.txt'];
const GH013 = [
  '#!/bin/sh',
  'while read old new ref; do',
  '  if [ "$ref" = refs/heads/main ]; then',
  '    echo "error: GH013: Repository rule violations found for refs/heads/main." >&2',
  '    echo "Review all repository rules at https://github.com/acme/homelab/rules?ref=refs%2Fheads%2Fmain" >&2',
  '    echo "" >&2',
  '    echo "- Changes must be made through a pull request." >&2',
  '    exit 1',
  '  fi',
  'done',
  'exit 0',
  '',
].join('\n');

let root: string;
let origin: string;
let clone: string;
beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'pve-gitops-protected-'));
  ({ origin, clone } = originAndClone(root));
  writeFileSync(path.join(origin, 'hooks', 'pre-receive'), GH013);
  chmodSync(path.join(origin, 'hooks', 'pre-receive'), 0o755);
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** The GitHub REST API as far as the check reads it; records every call. */
let api: Server;
let apiUrl: string;
let calls: Array<{ url: string; auth: string }> = [];
let rules: unknown[] = [];
beforeAll(async () => {
  api = createServer((req, res) => {
    calls.push({ url: req.url ?? '', auth: req.headers.authorization ?? '' });
    if (req.url === '/repos/acme/homelab/rules/branches/main') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(rules));
    } else {
      res.writeHead(404).end('{"message":"Not Found"}');
    }
  });
  await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
  apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => api.close(() => r())));

async function writeInventory() {
  await mkdir(path.join(clone, 'inventory'), { recursive: true });
  await writeFile(path.join(clone, FILES[0]), '[k3s]\nk8s-a\n');
  await writeFile(path.join(clone, FILES[1]), '127.0.0.2,k8s-a\n');
}

describe('a refused inventory push', () => {
  it('is its own error, never "main moved", tried once, with the commit kept for provisioning', async () => {
    await writeInventory();
    const real = gitExec(clone, gitEnv);
    const pushes: string[] = [];
    const exec: GitExec = (args, o) => {
      if (args[0] === 'push') pushes.push(args.at(-1)!);
      return real(args, o);
    };
    const log = memoryLogger();
    const mainBefore = sh(origin, 'rev-parse', 'main');
    const err = await commitInventory(exec, {
      files: FILES,
      vmNames: ['k8s-a'],
      tags: ['k8s-a'],
      branch: 'main',
      log,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InventoryPushRefused);
    const e = err as InventoryPushRefused;
    expect(e.message).toMatch(
      /^origin refused the inventory commit on main \(a protected branch, not a moved one: GH013: Repository rule violations found for refs\/heads\/main\. - Changes must be made through a pull request\.\)/,
    );
    expect(e.message).toContain(`kept at ${REFUSED_INVENTORY_REF}`);
    expect(e.message).toContain('docs/network.md#protected-branches');
    expect(log.lines.join('\n')).not.toMatch(/moved|rebasing/);
    // One push to main, no rebase loop; then the commit is kept outside branches.
    expect(pushes).toEqual(['HEAD:refs/heads/main', `${e.sha}:${REFUSED_INVENTORY_REF}`]);
    expect(sh(origin, 'rev-parse', 'main')).toBe(mainBefore);
    expect(sh(origin, 'rev-parse', REFUSED_INVENTORY_REF)).toBe(e.sha);
    expect(sh(origin, 'show', `${e.sha}:inventory/new_hosts.txt`)).toBe('127.0.0.2,k8s-a');
  });

  it('tells a refusal from a moved branch in git --porcelain output', () => {
    expect(pushFailure('!\tHEAD:refs/heads/main\t[rejected] (fetch first)')).toBe('stale');
    expect(pushFailure('!\tHEAD:refs/heads/main\t[rejected] (non-fast-forward)')).toBe('stale');
    expect(
      pushFailure('!\tHEAD:refs/heads/main\t[remote rejected] (protected branch hook declined)'),
    ).toBe('refused');
    expect(pushFailure('fatal: unable to access: The requested URL returned error: 403')).toBe(
      'other',
    );
  });
});

describe('the push check before apply touches the cluster', () => {
  beforeEach(() => {
    calls = [];
    rules = [];
  });
  const check = (pushToken: boolean, log = memoryLogger()) =>
    checkInventoryPush(gitExec(clone, gitEnv), {
      branch: 'main',
      api: githubBranchRules(apiUrl, 'acme/homelab', 'ghs_fakeToken123', log),
      pushToken,
      log,
    });

  it('refuses GITHUB_TOKEN on a branch whose ruleset requires pull requests, saying what to do', async () => {
    rules = [
      { type: 'deletion', ruleset_id: 7 },
      { type: 'pull_request', ruleset_id: 7, parameters: { required_approving_review_count: 1 } },
      { type: 'required_status_checks', ruleset_id: 7 },
    ];
    await expect(check(false)).rejects.toThrow(
      /^main has ruleset rules \(pull_request, required_status_checks\) that refuse a direct push, and GITHUB_TOKEN can never bypass them: .*nothing was applied\. Put a GitHub App on the ruleset bypass list/,
    );
    expect(calls).toEqual([
      { url: '/repos/acme/homelab/rules/branches/main', auth: 'Bearer ghs_fakeToken123' },
    ]);
  });

  it('only warns with a push token (its actor may bypass), and passes an open branch', async () => {
    rules = [{ type: 'pull_request', ruleset_id: 7 }];
    const log = memoryLogger();
    await expect(check(true, log)).resolves.toBeUndefined();
    expect(log.lines.join('\n')).toContain(
      "unless PVE_GITOPS_PUSH_TOKEN's actor is on the bypass list",
    );
    rules = [{ type: 'non_fast_forward', ruleset_id: 8 }];
    await expect(check(false)).resolves.toBeUndefined();
  });

  it('fails when the token may not write at all (GitHub answers the dry run with 403)', async () => {
    // GitHub refuses receive-pack to a token without contents: write before any ref is sent.
    const deny = path.join(root, 'deny-receive-pack');
    writeFileSync(
      deny,
      "#!/bin/sh\necho 'remote: Permission to acme/homelab.git denied to github-actions[bot].' >&2\nexit 128\n",
    );
    chmodSync(deny, 0o755);
    sh(clone, 'config', 'remote.origin.receivepack', deny);
    await expect(check(false)).rejects.toThrow(
      /^This job cannot push to main \(Permission to acme\/homelab\.git denied to github-actions\[bot\]\..*\); nothing was applied\. Give the apply job permissions: contents: write/,
    );
    expect(calls).toEqual([]);
  });
});
