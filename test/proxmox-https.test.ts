import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryLogger } from '../actions/lib/log.js';
import {
  clientConfigFromEnv,
  createClient,
  fakeClock,
  HttpsTransport,
  ProxmoxApiError,
  ProxmoxClient,
  ProxmoxConnectionError,
  type ClientConfig,
  type TlsTrust,
} from '../actions/lib/proxmox/index.js';
import { closedLoopbackPort } from './net-helpers.js';
import { generateCertificate } from '../sim/proxmox/cert.js';

// A small loopback HTTPS server whose answers each test scripts; it records what it got.
interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}
let dir: string;
let server: Server;
let port: number;
let fingerprint: string;
let caFile: string;
let seen: Seen[] = [];
let connections = 0;
let handler: (req: Seen, res: ServerResponse) => void;

const SECRET = 'f3a9c2d0-1111-4222-8333-944455556666';

function json(res: ServerResponse, status: number, body: unknown, reason?: string) {
  const text = JSON.stringify(body);
  res.writeHead(status, reason ?? '', {
    'Content-Type': 'application/json;charset=UTF-8',
    ...(status >= 400 ? { Connection: 'close' } : {}),
  });
  res.end(text);
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'pve-https-'));
  // A self-signed certificate for 127.0.0.1, made as the simulator makes its own.
  const cert = generateCertificate('localhost');
  caFile = path.join(dir, 'cert.pem');
  writeFileSync(caFile, cert.certPem);
  fingerprint = new X509Certificate(cert.certPem).fingerprint256;
  server = createServer({ cert: cert.certPem, key: cert.keyPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const s = {
        method: req.method!,
        url: req.url!,
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      };
      seen.push(s);
      handler(s, res);
    });
  });
  server.on('secureConnection', () => connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as net.AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

function cfg(tls: TlsTrust, url = `https://127.0.0.1:${port}`): ClientConfig {
  return { url, tokenId: 'gitops@pve!ci', tokenSecret: SECRET, tls };
}
function reset(h: typeof handler) {
  seen = [];
  connections = 0;
  handler = h;
}
const pinned = () => ({ mode: 'fingerprint', fingerprint }) as TlsTrust;

describe('HTTPS transport', () => {
  it('sends the token header, form bodies with 1/0 booleans and DELETE parameters in the query', async () => {
    reset((s, res) =>
      json(res, 200, {
        data:
          s.method === 'GET'
            ? { version: '9.1.1', release: '9.1', repoid: 'x' }
            : 'UPID:pve1:00001234:00005678:65000000:qmdestroy:100:gitops@pve!ci:',
      }),
    );
    const t = new HttpsTransport(cfg(pinned()));
    const client = new ProxmoxClient({ transport: t });
    expect((await client.version()).version).toBe('9.1.1');
    await client.putConfig('pve1', 100, {
      onboot: true,
      protection: false,
      sshkeys: encodeURIComponent('ssh-ed25519 AAA x@y'),
      description: 'a b&c',
    });
    await client.deleteVm('pve1', 100);
    await t.close();
    expect(seen[0].headers.authorization).toBe(`PVEAPIToken=gitops@pve!ci=${SECRET}`);
    expect(seen[1].headers['content-type']).toBe('application/x-www-form-urlencoded');
    const body = new URLSearchParams(seen[1].body);
    expect(body.get('onboot')).toBe('1');
    expect(body.get('protection')).toBe('0');
    expect(body.get('description')).toBe('a b&c');
    // sshkeys are percent-encoded by the caller and once more by the form layer.
    expect(seen[1].body).toContain('sshkeys=ssh-ed25519%2520AAA%2520x%2540y');
    expect(seen[2].method).toBe('DELETE');
    expect(seen[2].url).toBe('/api2/json/nodes/pve1/qemu/100?purge=1&destroy-unreferenced-disks=1');
    expect(seen[2].body).toBe('');
  });

  it('keeps connections alive and survives the server closing them after an error', async () => {
    let n = 0;
    reset((_s, res) =>
      ++n % 5 === 0
        ? json(res, 500, { data: null, message: 'VM 1 oops\n' }, 'VM 1 oops')
        : json(res, 200, { data: [] }),
    );
    const t = new HttpsTransport(cfg(pinned()));
    for (let i = 0; i < 20; i++) await t.request('GET', '/nodes').catch(() => undefined);
    await t.close();
    expect(seen).toHaveLength(20);
    // One connection, plus a new one after each error answer but the last (Connection: close).
    expect(connections).toBe(4);
  });

  it('refuses a certificate whose fingerprint is not the pinned one, before sending anything', async () => {
    reset((_s, res) => json(res, 200, { data: {} }));
    const wrong = 'AB:'.repeat(31) + 'AB';
    const t = new HttpsTransport(cfg({ mode: 'fingerprint', fingerprint: wrong }));
    const err = await t.request('GET', '/version').catch((e: unknown) => e);
    await t.close();
    expect(err).toBeInstanceOf(ProxmoxConnectionError);
    expect((err as ProxmoxConnectionError).phase).toBe('tls');
    expect((err as Error).message).toContain(`expected ${wrong}`);
    expect((err as Error).message).toContain(`received ${fingerprint}`);
    expect((err as Error).message).not.toContain(SECRET);
    expect(seen).toHaveLength(0);
  });

  it('rejects a self-signed certificate by default and accepts it from PROXMOX_CA_FILE', async () => {
    reset((_s, res) => json(res, 200, { data: { version: '8.4.1' } }));
    const sys = new HttpsTransport(cfg({ mode: 'system' }));
    const err = await sys.request('GET', '/version').catch((e: unknown) => e);
    await sys.close();
    expect((err as ProxmoxConnectionError).phase).toBe('tls');
    expect((err as Error).message).toMatch(
      /PROXMOX_URL \(https:\/\/127\.0\.0\.1:\d+\).*PROXMOX_TLS_FINGERPRINT or PROXMOX_CA_FILE/,
    );
    expect(seen).toHaveLength(0);
    const config = clientConfigFromEnv({
      PROXMOX_URL: `https://127.0.0.1:${port}`,
      PROXMOX_TOKEN_ID: 'gitops@pve!ci',
      PROXMOX_TOKEN_SECRET: SECRET,
      PROXMOX_CA_FILE: caFile,
    });
    const ca = new HttpsTransport(config);
    expect(await ca.request('GET', '/version')).toEqual({ version: '8.4.1' });
    await ca.close();
  });

  it('turns 401 into one sentence naming PROXMOX_TOKEN_ID and the privileges, without the secret', async () => {
    reset((_s, res) => {
      res.writeHead(401, 'authentication failure', { Connection: 'close' });
      res.end();
    });
    const t = new HttpsTransport(cfg(pinned()));
    const err = (await t
      .request('GET', '/cluster/resources', { type: 'vm' })
      .catch((e: unknown) => e)) as ProxmoxApiError;
    await t.close();
    expect(err).toBeInstanceOf(ProxmoxApiError);
    expect(err.kind).toBe('unauthorized');
    expect(err.message).toMatch(
      /^Proxmox rejected the API token \(401 authentication failure\): check PROXMOX_TOKEN_ID 'gitops@pve!ci'.*VM\.Allocate.*\.$/,
    );
    expect(JSON.stringify(err) + err.message + String(err.stack)).not.toContain(SECRET);
    expect(err.message).not.toContain('PVEAPIToken');
  });

  it('turns 403 into a sentence naming the privilege and the ACL path', async () => {
    reset((_s, res) =>
      json(
        res,
        403,
        { data: null, message: 'Permission check failed (/vms/100, VM.Allocate)\n' },
        'Permission check failed (/vms/100, VM.Allocate)',
      ),
    );
    const t = new HttpsTransport(cfg(pinned()));
    const err = (await t
      .request('POST', '/nodes/pve1/qemu', { vmid: 100 })
      .catch((e: unknown) => e)) as ProxmoxApiError;
    await t.close();
    expect(err.kind).toBe('forbidden');
    expect(err.message).toContain('lacks privilege VM.Allocate on /vms/100');
    expect(err.status).toBe(403);
    expect(err.path).toBe('/nodes/pve1/qemu');
  });

  it('reads the reason phrase when the JSON body has no message, and per-parameter errors', async () => {
    reset((s, res) =>
      s.url.includes('nextid')
        ? json(
            res,
            400,
            { data: null, errors: { vmid: 'VM 200 already exists' } },
            'Parameter verification failed.',
          )
        : json(
            res,
            500,
            { data: null },
            "Configuration file 'nodes/pve1/qemu-server/100.conf' does not exist",
          ),
    );
    const t = new HttpsTransport(cfg(pinned()));
    const a = (await t
      .request('GET', '/cluster/nextid', { vmid: 200 })
      .catch((e: unknown) => e)) as ProxmoxApiError;
    const b = (await t
      .request('GET', '/nodes/pve1/qemu/100/config')
      .catch((e: unknown) => e)) as ProxmoxApiError;
    await t.close();
    expect(a.errors).toEqual({ vmid: 'VM 200 already exists' });
    expect(a.kind).toBe('already-exists');
    expect(b.kind).toBe('not-found');
    expect(b.reason).toContain('does not exist');
  });

  it('says so when a non-Proxmox server answers 200 with HTML', async () => {
    reset((_s, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end('<html><body>Welcome to nginx</body></html>');
    });
    const t = new HttpsTransport(cfg(pinned()));
    const err = (await t.request('GET', '/version').catch((e: unknown) => e)) as ProxmoxApiError;
    await t.close();
    expect(err.kind).toBe('not-proxmox');
    expect(err.message).toMatch(
      /^The server at PROXMOX_URL \(https:\/\/127\.0\.0\.1:\d+\) answered GET \/version with text\/html, not the Proxmox VE API/,
    );
  });

  it('names PROXMOX_URL when nothing listens', async () => {
    const closed = await closedLoopbackPort();
    const t = new HttpsTransport(cfg(pinned(), closed.url));
    const err = (await t
      .request('GET', '/version')
      .catch((e: unknown) => e)) as ProxmoxConnectionError;
    await t.close();
    expect(err.phase).toBe('connect');
    expect(err.message).toBe(
      `Cannot reach the Proxmox API at PROXMOX_URL (${closed.url}): connection refused.`,
    );
  });

  it('retries reads on 5xx and mutations only on lock timeouts', async () => {
    let gets = 0;
    let posts = 0;
    reset((s, res) => {
      if (s.method === 'GET')
        return ++gets < 3
          ? json(res, 503, { data: null }, 'busy')
          : json(res, 200, { data: [{ node: 'pve1' }] });
      ++posts;
      if (s.url.endsWith('/start'))
        return posts < 3
          ? json(
              res,
              500,
              { data: null },
              "can't lock file '/var/lock/qemu-server/lock-100.conf' - got timeout",
            )
          : json(res, 200, { data: 'UPID:pve1:00000001:00000002:65000000:qmstart:100:root@pam:' });
      return json(res, 500, { data: null }, 'VM 100 is running - destroy failed');
    });
    const clock = fakeClock();
    const client = new ProxmoxClient({ transport: new HttpsTransport(cfg(pinned())), clock });
    expect(await client.nodes()).toEqual([{ node: 'pve1' }]);
    expect(gets).toBe(3);
    expect(await client.start('pve1', 100)).toMatch(/^UPID:pve1:/);
    expect(posts).toBe(3);
    const before = posts;
    await expect(client.stop('pve1', 100)).rejects.toThrow(/destroy failed/);
    expect(posts).toBe(before + 1);
    expect(clock.slept.length).toBe(4);
    await client.close();
  });
});

describe('PROXMOX_INSECURE', () => {
  it('connects without checking the certificate and warns on every run', async () => {
    reset((_s, res) => json(res, 200, { data: { version: '9.1.1' } }));
    const config = clientConfigFromEnv({
      PROXMOX_URL: `https://127.0.0.1:${port}`,
      PROXMOX_TOKEN_ID: 'gitops@pve!ci',
      PROXMOX_TOKEN_SECRET: SECRET,
      PROXMOX_INSECURE: 'true',
    });
    for (let run = 0; run < 2; run++) {
      const log = memoryLogger();
      const client = createClient(config, { log });
      expect((await client.version()).version).toBe('9.1.1');
      await client.close();
      expect(log.lines).toEqual([
        expect.stringMatching(
          /^warn: PROXMOX_INSECURE=true: the certificate of https:\/\/127\.0\.0\.1:\d+ is not checked/,
        ),
      ]);
    }
  });
});

describe('clientConfigFromEnv', () => {
  const ok = {
    PROXMOX_URL: 'https://pve1.example:8006',
    PROXMOX_TOKEN_ID: 'gitops@pve!ci',
    PROXMOX_TOKEN_SECRET: SECRET,
  };
  it('reads a complete environment and normalises the fingerprint', () => {
    const c = clientConfigFromEnv({
      ...ok,
      PROXMOX_TLS_FINGERPRINT: fingerprint.replace(/:/g, '').toLowerCase(),
    });
    expect(c.tls).toEqual({ mode: 'fingerprint', fingerprint });
    expect(c.url).toBe('https://pve1.example:8006');
    expect(c.ssh).toBeUndefined();
  });
  it.each([
    [{ PROXMOX_URL: undefined }, /^PROXMOX_URL is not set/],
    [
      { PROXMOX_URL: 'http://pve:8006' },
      /^PROXMOX_URL 'http:\/\/pve:8006' must start with https:\/\//,
    ],
    [{ PROXMOX_TOKEN_ID: 'gitops' }, /^PROXMOX_TOKEN_ID 'gitops' is malformed/],
    [{ PROXMOX_TOKEN_SECRET: '' }, /^PROXMOX_TOKEN_SECRET is not set/],
    [
      { PROXMOX_TLS_FINGERPRINT: 'AB:CD' },
      /^PROXMOX_TLS_FINGERPRINT 'AB:CD' is not a SHA-256 fingerprint/,
    ],
    [
      { PROXMOX_CA_FILE: '/nonexistent/ca.pem' },
      /^PROXMOX_CA_FILE '\/nonexistent\/ca.pem' cannot be read/,
    ],
    [{ PROXMOX_INSECURE: 'maybe' }, /^PROXMOX_INSECURE 'maybe' is not a boolean/],
    [
      { PROXMOX_INSECURE: 'true', PROXMOX_TLS_FINGERPRINT: 'ab'.repeat(32) },
      /^Set only one of PROXMOX_TLS_FINGERPRINT, PROXMOX_INSECURE/,
    ],
    [{ PROXMOX_SSH_USER: 'root' }, /^PROXMOX_SSH_USER is set but PROXMOX_SSH_KEY is not/],
  ])('rejects %j', (patch, re) => {
    expect(() => clientConfigFromEnv({ ...ok, ...patch })).toThrow(re);
  });
  it('reads an SSH key from a file and defaults the SSH host to the API host', () => {
    const key = path.join(dir, 'id');
    writeFileSync(
      key,
      '-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----\n',
      { mode: 0o600 },
    );
    const c = clientConfigFromEnv({
      ...ok,
      PROXMOX_INSECURE: 'true',
      PROXMOX_SSH_USER: 'root',
      PROXMOX_SSH_KEY: key,
    });
    expect(c.tls.mode).toBe('insecure');
    expect(c.ssh).toMatchObject({
      host: 'pve1.example',
      port: 22,
      user: 'root',
      trustOnFirstUse: false,
    });
  });
});
