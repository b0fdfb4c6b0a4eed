// Issue #3 bad input, end to end: `pve-gitops plan|apply` run as users run them (the CLI
// bundle as a child process) against the simulator or a loopback server that is not Proxmox.
// Each failure must be one sentence on stderr, exit 1, no stack trace, no secret.
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCertificate } from '../sim/proxmox/cert.js';
import { startProxmoxSim, type ProxmoxSim } from '../sim/proxmox/index.js';
import { closedLoopbackPort, type ClosedPort } from './net-helpers.js';

const root = path.resolve(import.meta.dirname, '..');
const cli = path.join(root, 'actions/cli/dist/index.cjs');
const READONLY_SECRET = '11111111-2222-4333-8444-555555555555';
const WRONG_SECRET = '00000000-0000-4000-8000-000000000000';
const NOCLONE_SECRET = '99999999-8888-4777-8666-555555555555';

let sim: ProxmoxSim;
let repo: string;
let html: Server;
let htmlUrl: string;
let htmlFingerprint: string;
let closed: ClosedPort;

beforeAll(async () => {
  sim = await startProxmoxSim({ timeScale: 0.01 });
  // Can read everything, may change nothing: PVE answers the first clone with 403.
  sim.addToken('gitops@pve!readonly', READONLY_SECRET, {
    '/': ['VM.Audit', 'Sys.Audit', 'Datastore.Audit'],
  });
  repo = mkdtempSync(path.join(os.tmpdir(), 'pve-cli-errors-'));
  cpSync(path.join(root, 'vms'), path.join(repo, 'vms'), { recursive: true });
  cpSync(path.join(root, 'pve-gitops.yaml'), path.join(repo, 'pve-gitops.yaml'));
  // A web server that is not Proxmox: 200 with an HTML page for every path.
  const cert = generateCertificate('not-proxmox');
  htmlFingerprint = cert.fingerprint;
  html = createServer({ cert: cert.certPem, key: cert.keyPem }, (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html' });
    res.end('<!doctype html><html><body>Welcome to nginx!</body></html>');
  });
  await new Promise<void>((r) => html.listen(0, '127.0.0.1', r));
  htmlUrl = `https://127.0.0.1:${(html.address() as net.AddressInfo).port}`;
  closed = await closedLoopbackPort();
});
afterAll(async () => {
  html?.closeAllConnections();
  await new Promise((r) => html?.close(r));
  await sim?.stop();
  rmSync(repo, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}
/** Runs the CLI bundle asynchronously: the simulator in this process must keep answering. */
function run(args: string[], patch: Record<string, string>): Promise<Run> {
  const env = {
    PATH: process.env.PATH,
    PROXMOX_URL: sim.url,
    PROXMOX_TOKEN_ID: sim.tokenId,
    PROXMOX_TOKEN_SECRET: sim.tokenSecret,
    PROXMOX_TLS_FINGERPRINT: sim.fingerprint,
    ...patch,
  };
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd: repo, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += String(d)));
    child.stderr.on('data', (d: Buffer) => (stderr += String(d)));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Exit 1, nothing on stdout, and exactly one `error: …` sentence, without stack or secret. */
function oneSentence(r: Run, secret: string): string {
  expect(r.code).toBe(1);
  expect(r.stdout).toBe('');
  expect(r.stderr).not.toMatch(/^\s+at |node:internal|\.cjs:\d+|TypeError|ReferenceError/m);
  expect(r.stderr).not.toContain(secret);
  const errors = r.stderr.split('\n').filter((l) => l.startsWith('error: '));
  expect(errors).toHaveLength(1);
  expect(errors[0]).toMatch(/^error: [A-Z][^\n]*\.$/);
  return errors[0];
}

describe('pve-gitops against a Proxmox API that refuses it', () => {
  it('wrong token (401): names PROXMOX_TOKEN_ID and the privileges the token needs', async () => {
    const r = await run(['plan'], { PROXMOX_TOKEN_SECRET: WRONG_SECRET });
    const line = oneSentence(r, WRONG_SECRET);
    expect(line).toMatch(
      /^error: Proxmox rejected the API token \(401 [^)]*\): check PROXMOX_TOKEN_ID 'root@pam!pve-gitops'/,
    );
    expect(line).toMatch(/VM\.Allocate.*VM\.Clone.*Datastore\.AllocateSpace.*Sys\.Audit/);
  });

  it('missing privilege (403): each VM names the privilege and ACL path; nothing is created', async () => {
    const before = Object.keys(sim.cluster.state.vms).sort();
    const r = await run(['apply'], {
      PROXMOX_TOKEN_ID: 'gitops@pve!readonly',
      PROXMOX_TOKEN_SECRET: READONLY_SECRET,
    });
    expect(r.code).toBe(1);
    expect(r.stderr).not.toMatch(/^\s+at |node:internal|\.cjs:\d+|TypeError|ReferenceError/m);
    expect(r.stdout + r.stderr).not.toContain(READONLY_SECRET);
    // Issue #8: apply checks the privileges every action needs before changing anything, so
    // the missing VM.Clone stops it up front with the path and the command, not per VM.
    const errors = r.stderr.split('\n').filter((l) => l.startsWith('error: '));
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.join('\n')).toMatch(
      /^error: The token gitops@pve!readonly lacks privilege VM\.Clone on \/vms\/\d+[^(]* \(VMs [a-z0-9-, ]+\), needed to clone its template; add it to the role with `pveum role modify PVEGitops --append 1 --privs "VM\.Clone"`/m,
    );
    expect(errors.at(-1)).toMatch(/Nothing was changed\.$/);
    expect(Object.keys(sim.cluster.state.vms).sort()).toEqual(before);
    expect(r.stderr).not.toMatch(/rolled back/);
  });

  it('a clone refused (403 on the template) says nothing was created, not rolled back', async () => {
    const before = Object.keys(sim.cluster.state.vms).sort();
    // Everything a create needs, but VM.Clone only on the templates 9000 and 9002, not 9001.
    sim.addToken('gitops@pve!noclone', NOCLONE_SECRET, {
      '/': [
        'VM.Allocate',
        'VM.Config.*',
        'VM.PowerMgmt',
        'VM.Audit',
        'VM.Monitor',
        'VM.GuestAgent.*',
        'Datastore.AllocateSpace',
        'Datastore.Audit',
        'SDN.Use',
        'Sys.Audit',
      ],
      '/vms/9000': ['VM.Clone'],
      '/vms/9002': ['VM.Clone'],
    });
    const r = await run(['apply', '--only', 'k8s-observability-w1'], {
      PROXMOX_TOKEN_ID: 'gitops@pve!noclone',
      PROXMOX_TOKEN_SECRET: NOCLONE_SECRET,
    });
    const all = r.stdout + r.stderr;
    expect(r.code, all).toBe(1);
    expect(all).not.toContain(NOCLONE_SECRET);
    expect(all).toMatch(/lacks privilege VM\.Clone on \/vms\/9001/);
    expect(all).not.toMatch(/rolled back|destroyed|removed the partial/);
    // Issue #8: the privilege check refuses before the clone is sent, so nothing was made.
    expect(all).toMatch(/Nothing was changed\.$/m);
    expect(Object.keys(sim.cluster.state.vms).sort()).toEqual(before);
  });

  it('a clone refused at run time (403 after the privilege check) says nothing was created', async () => {
    // The ACL changed between the check and the clone: the clone's 403 started no task.
    const before = Object.keys(sim.cluster.state.vms).sort();
    sim.setFaults({
      errors: [
        {
          method: 'POST',
          path: '/nodes/*/qemu/9001/clone',
          status: 403,
          message: 'Permission check failed (/vms/9001, VM.Clone)',
        },
      ],
    });
    try {
      const r = await run(['apply', '--only', 'k8s-observability-w1'], {});
      const all = r.stdout + r.stderr;
      expect(r.code, all).toBe(1);
      expect(all).toMatch(/lacks privilege VM\.Clone on \/vms\/9001/);
      expect(all).not.toMatch(/rolled back|destroyed|removed the partial/);
      expect(all).toMatch(
        /k8s-observability-w1: nothing was created \(VM \d+ on pve2 was never made\), so there is nothing to roll back\./,
      );
      const summary = all.split('\n').find((l) => /VMs failed/.test(l));
      expect(summary).toMatch(
        /1 of 1 VMs failed: k8s-observability-w1; nothing was created for k8s-observability-w1\.$/,
      );
      expect(Object.keys(sim.cluster.state.vms).sort()).toEqual(before);
    } finally {
      sim.setFaults({});
    }
  });

  it('wrong fingerprint: refuses with both fingerprints, never falling back to insecure', async () => {
    const wrong = 'AA:'.repeat(31) + 'AA';
    const r = await run(['plan'], { PROXMOX_TLS_FINGERPRINT: wrong });
    const line = oneSentence(r, sim.tokenSecret);
    expect(line).toBe(
      `error: The TLS certificate of PROXMOX_URL (${sim.url}) does not match PROXMOX_TLS_FINGERPRINT: expected ${wrong}, received ${sim.fingerprint}; refusing to connect.`,
    );
  });

  it('unreachable host: names PROXMOX_URL', async () => {
    const url = closed.url;
    const r = await run(['plan'], { PROXMOX_URL: url });
    expect(oneSentence(r, sim.tokenSecret)).toBe(
      `error: Cannot reach the Proxmox API at PROXMOX_URL (${url}): connection refused.`,
    );
  });

  it('a non-Proxmox server answering 200 with HTML: says it is not the Proxmox VE API', async () => {
    const r = await run(['plan'], {
      PROXMOX_URL: htmlUrl,
      PROXMOX_TLS_FINGERPRINT: htmlFingerprint,
    });
    expect(oneSentence(r, sim.tokenSecret)).toMatch(
      /^error: The server at PROXMOX_URL \(https:\/\/127\.0\.0\.1:\d+\) answered GET \/\S+ with text\/html, not the Proxmox VE API/,
    );
  });
});
