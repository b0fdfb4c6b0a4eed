import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryLogger } from '../actions/lib/log.js';
import {
  clientConfigFromEnv,
  cloneVm,
  createClient,
  createVm,
  HttpsTransport,
  isNotFound,
  ProxmoxApiError,
  ProxmoxClient,
  ProxmoxConnectionError,
  SshTransport,
  type HttpMethod,
  type Params,
  type SshConfig,
  type Transport,
} from '../actions/lib/proxmox/index.js';
import { installPveshShim, startSshHost, type SshHost } from '../sim/hosts/index.js';
import { startProxmoxSim, type ProxmoxSim, type PveMajor } from '../sim/proxmox/index.js';
import { eventually } from './eventually.js';
import { closedLoopbackPort } from './net-helpers.js';

// ---- Schema check: every request the client sends must exist in PVE 8 and PVE 9. ----
interface SchemaNode {
  path: string;
  children?: SchemaNode[];
  info?: Record<string, { parameters?: { properties?: Record<string, ParamSchema> } }>;
}
interface ParamSchema {
  type?: string;
  enum?: string[];
  pattern?: string;
  minimum?: number | string;
  maximum?: number | string;
  items?: ParamSchema;
}
function loadSchema(major: 8 | 9): Map<string, SchemaNode> {
  // The official schemas, vendored (gzip) so a plain clone holds everything the tests read.
  const file = path.join('vendor/pve-api', `pve${major}-apischema.json.gz`);
  const flat = new Map<string, SchemaNode>();
  const walk = (nodes: SchemaNode[]) =>
    nodes.forEach((n) => (flat.set(n.path, n), walk(n.children ?? [])));
  walk(JSON.parse(gunzipSync(readFileSync(file)).toString('utf8')) as SchemaNode[]);
  return flat;
}
function checkValue(name: string, value: string, s: ParamSchema): string | undefined {
  const bad = `${name}=${JSON.stringify(value)} is not a valid ${s.type}`;
  if (s.type === 'boolean' && !/^[01]$/.test(value)) return bad;
  if (s.type === 'integer' || s.type === 'number') {
    if (!(s.type === 'integer' ? /^-?\d+$/ : /^-?\d+(\.\d+)?$/).test(value)) return bad;
    if (s.minimum !== undefined && Number(value) < Number(s.minimum))
      return `${bad} (min ${s.minimum})`;
    if (s.maximum !== undefined && Number(value) > Number(s.maximum))
      return `${bad} (max ${s.maximum})`;
  }
  if (s.enum && !s.enum.includes(value)) return `${name}=${value} not in ${s.enum.join('|')}`;
  if (s.pattern) {
    let re: RegExp | undefined;
    try {
      re = new RegExp(`^(?:${s.pattern})$`);
    } catch {
      re = undefined; // a Perl-only construct: leave it to the simulator's validation
    }
    if (re && !re.test(value)) return `${name}=${value} does not match ${s.pattern}`;
  }
  return undefined;
}
function validate(
  schema: Map<string, SchemaNode>,
  method: HttpMethod,
  reqPath: string,
  params: Params | undefined,
): string[] {
  const segs = reqPath.split('/').slice(1).map(decodeURIComponent);
  const node = [...schema.values()].find((n) => {
    const t = n.path.split('/').slice(1);
    return t.length === segs.length && t.every((p, i) => p.startsWith('{') || p === segs[i]);
  });
  if (!node) return [`${method} ${reqPath}: no such path`];
  const info = node.info?.[method];
  if (!info) return [`${method} ${node.path}: no such method`];
  const props = info.parameters?.properties ?? {};
  const problems: string[] = [];
  node.path
    .split('/')
    .slice(1)
    .forEach((t, i) => {
      if (t.startsWith('{')) {
        const s = props[t.slice(1, -1)];
        const p = s && checkValue(t, segs[i], s);
        if (p) problems.push(`${method} ${node.path}: ${p}`);
      }
    });
  for (const [k, v] of Object.entries(params ?? {})) {
    if (v === undefined) continue;
    // Numbered keys (net0, scsi1, ipconfig0) are declared once as net[n], scsi[n], ….
    const s = props[k] ?? props[k.replace(/\d+$/, '[n]')];
    if (!s) {
      problems.push(`${method} ${node.path}: parameter ${k} is not declared`);
      continue;
    }
    const values = Array.isArray(v) ? v : [v];
    if (Array.isArray(v) && s.type !== 'array')
      problems.push(`${method} ${node.path}: ${k} is not an array`);
    for (const one of values) {
      const str = typeof one === 'boolean' ? (one ? '1' : '0') : String(one);
      const p = checkValue(k, str, s.type === 'array' ? (s.items ?? {}) : s);
      if (p) problems.push(`${method} ${node.path}: ${p}`);
    }
  }
  return problems;
}

const recorded: Array<{ method: HttpMethod; path: string; params?: Params }> = [];
function recording(inner: Transport): Transport {
  return {
    get description() {
      return inner.description;
    },
    request(method, p, params) {
      recorded.push({ method, path: p, params });
      return inner.request(method, p, params);
    },
    close: () => inner.close(),
  };
}

// Which ProxmoxClient methods the contract suite called, over either transport.
const called = new Set<string>();
function covering(client: ProxmoxClient): ProxmoxClient {
  return new Proxy(client, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v === 'function' && typeof prop === 'string') called.add(prop);
      return v;
    },
  });
}

// ---- A PVE 9 and a PVE 8 simulator; one sshd "node" whose PATH starts with the pvesh shim
// pointing at the PVE 9 one. ----
const sims = {} as Record<PveMajor, ProxmoxSim>;
let sim: ProxmoxSim;
let dir: string;
let node: SshHost;
let ssh: SshConfig;
const log = memoryLogger();

beforeAll(async () => {
  for (const v of [8, 9] as const)
    sims[v] = await startProxmoxSim({ timeScale: 0.02, pveVersion: v });
  sim = sims[9];
  dir = mkdtempSync(path.join(os.tmpdir(), 'pve-contract-'));
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'id')]);
  const shim = installPveshShim({
    dir: path.join(dir, 'shim'),
    url: sim.url,
    tokenId: sim.tokenId,
    tokenSecret: sim.tokenSecret,
    fingerprint: sim.fingerprint,
  });
  node = await startSshHost({
    address: '127.0.0.31',
    authorizedKey: readFileSync(path.join(dir, 'id.pub'), 'utf8'),
    pathPrefix: [shim.binDir],
  });
  writeFileSync(path.join(dir, 'known_hosts'), node.hostKeyLine + '\n', { mode: 0o600 });
  ssh = {
    host: node.host,
    port: node.port,
    user: os.userInfo().username,
    privateKey: readFileSync(path.join(dir, 'id'), 'utf8'),
    knownHostsFile: path.join(dir, 'known_hosts'),
    trustOnFirstUse: false,
  };
});
afterAll(async () => {
  await node?.stop();
  for (const s of Object.values(sims)) await s.stop();
  rmSync(dir, { recursive: true, force: true });
});

function env(patch: Record<string, string> = {}, s: ProxmoxSim = sim): NodeJS.ProcessEnv {
  return {
    PROXMOX_URL: s.url,
    PROXMOX_TOKEN_ID: s.tokenId,
    PROXMOX_TOKEN_SECRET: s.tokenSecret,
    PROXMOX_TLS_FINGERPRINT: s.fingerprint,
    ...patch,
  };
}
const transports: Record<string, { major: PveMajor; make: () => Transport }> = {
  'https-pve9': { major: 9, make: () => new HttpsTransport(clientConfigFromEnv(env({}, sims[9]))) },
  'https-pve8': { major: 8, make: () => new HttpsTransport(clientConfigFromEnv(env({}, sims[8]))) },
  'ssh-pve9': { major: 9, make: () => new SshTransport(ssh) },
};

describe.each(Object.keys(transports))('Proxmox contract over %s', (kind) => {
  const { major } = transports[kind];
  let client: ProxmoxClient;
  beforeAll(() => {
    client = covering(new ProxmoxClient({ transport: recording(transports[kind].make()), log }));
  });
  afterAll(() => client.close());

  it('reads version, nodes, resources, storage and bridges', async () => {
    const version = await client.version();
    expect(version.version).toMatch(new RegExp(`^${major}\\.\\d+`));
    expect(version.release).toBe(major === 8 ? '8.4' : '9.1');
    expect((await client.nodes()).map((n) => n.node).sort()).toEqual([
      'pve1',
      'pve2',
      'still-fawn',
    ]);
    const vms = await client.clusterResources('vm');
    expect(vms.find((v) => v.vmid === 9000)).toMatchObject({ node: 'pve1', template: 1 });
    expect(vms.length > 0 && vms.every((v) => v.type === 'qemu')).toBe(true);
    expect((await client.clusterResources('node')).every((v) => v.type === 'node')).toBe(true);
    expect(
      (await client.storage('pve1', { content: 'images', enabled: true })).map((s) => s.storage),
    ).toContain('local-lvm');
    expect((await client.network('pve1', 'bridge')).map((n) => n.iface)).toContain('vmbr0');
    expect((await client.nodeStatus('pve1')).memory.total).toBeGreaterThan(0);
    expect((await client.qemuList('pve1')).some((v) => v.vmid === 9000)).toBe(true);
    // The simulator's root token holds everything, propagated from /.
    const perms = await client.permissions('/vms/9000');
    expect(perms['/vms/9000']).toMatchObject({ 'VM.Clone': 1, 'VM.Audit': 1 });
  });

  it('clones a template, changes, resizes, powers and deletes the VM', async () => {
    const name = `contract-${kind}`;
    const made = await cloneVm(client, {
      node: 'pve1',
      template: 9000,
      name,
      full: true,
      storage: 'local-lvm',
      timeoutMs: 60_000,
    });
    const { vmid } = made;
    let config = await client.getConfig('pve1', vmid);
    expect(config.name).toBe(name);
    expect(config.lock).toBeUndefined();

    const description = `made by "pve-gitops" & it's $HOME; \`x\``;
    await client.putConfig('pve1', vmid, {
      tags: 'pve-gitops;contract',
      cores: 2,
      description,
      onboot: true,
      digest: config.digest,
    });
    config = await client.getConfig('pve1', vmid);
    expect(config).toMatchObject({ tags: 'contract;pve-gitops', cores: 2, description, onboot: 1 });

    const before = /size=(\d+)G/.exec(String(config.scsi0))![1];
    const resize = await client.resize('pve1', vmid, 'scsi0', '+1G');
    if (resize) await client.waitForTask(resize);
    expect(String((await client.getConfig('pve1', vmid)).scsi0)).toContain(
      `size=${Number(before) + 1}G`,
    );

    await client.waitForTask(await client.start('pve1', vmid));
    expect((await client.status('pve1', vmid)).status).toBe('running');
    const ifaces = await eventually(
      () =>
        client.agentNetworkInterfaces('pve1', vmid).catch((e: unknown) => {
          expect((e as Error).message).toMatch(/agent is not running|got timeout/);
          return [];
        }),
      (list) => list.length > 0,
      { what: 'the guest agent answering', timeoutMs: 5_000 },
    );
    expect(ifaces.map((i) => i.name)).toContain('lo');

    await client.waitForTask(await client.stop('pve1', vmid));
    expect((await client.status('pve1', vmid)).status).toBe('stopped');
    await client.waitForTask(await client.deleteVm('pve1', vmid));
    const gone = await client.getConfig('pve1', vmid).catch((e: unknown) => e);
    expect(isNotFound(gone)).toBe(true);
    expect((gone as ProxmoxApiError).message).toMatch(/does not exist/);
  });

  it('serves the remaining typed calls: create, pending, agent exec, power variants, migrate', async () => {
    const made = await createVm(client, {
      node: 'pve2',
      config: {
        name: `created-${kind}`,
        memory: 1024,
        cores: 1,
        agent: '1',
        net0: 'virtio,bridge=vmbr0',
        scsi0: 'local-lvm:4',
        tags: 'pve-gitops',
        sshkeys: encodeURIComponent('ssh-ed25519 AAAAC3Nza test@x'),
      },
    });
    const { vmid } = made;
    await client.waitForTask(await client.start('pve2', vmid));
    const upid = await client.postConfig('pve2', vmid, { cores: 2 });
    if (upid) await client.waitForTask(upid);
    expect((await client.pending('pve2', vmid)).find((p) => p.key === 'cores')).toMatchObject({
      value: 1,
      pending: 2,
    });
    await eventually(
      () =>
        client.agentPing('pve2', vmid).then(
          () => true,
          () => false,
        ),
      Boolean,
      { what: 'the guest agent answering a ping', timeoutMs: 5_000 },
    );
    const hostKey = await client.agentFileRead('pve2', vmid, '/etc/ssh/ssh_host_ed25519_key.pub');
    expect(hostKey).toEqual({
      content: `${sims[major].cluster.hostKeyOf(vmid).publicKey}\n`,
      truncated: false,
    });
    const missing = await client
      .agentFileRead('pve2', vmid, '/etc/ssh/ssh_host_rsa_key.pub')
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ProxmoxApiError);
    expect((missing as Error).message).toMatch(/Failed to open file/);
    const pid = await client.agentExec('pve2', vmid, ['/bin/echo', 'hello world']);
    let st = await client.agentExecStatus('pve2', vmid, pid);
    for (let i = 0; i < 20 && !st.exited; i++) st = await client.agentExecStatus('pve2', vmid, pid);
    expect(st.exited).toBeTruthy();
    await client.waitForTask(await client.suspend('pve2', vmid));
    expect((await client.status('pve2', vmid)).qmpstatus).toBe('paused');
    await client.waitForTask(await client.resume('pve2', vmid));
    await client.waitForTask(await client.reset('pve2', vmid));
    await client.waitForTask(await client.reboot('pve2', vmid));
    const down = await client.shutdown('pve2', vmid, { timeout: 30, forceStop: true });
    const result = await client.waitForTask(down);
    expect((await client.taskLog('pve2', result.upid)).length).toBeGreaterThan(0);
    await client.waitForTask(
      await client.migrate('pve2', vmid, 'still-fawn', { withLocalDisks: true }),
    );
    expect((await client.getConfig('still-fawn', vmid)).name).toBe(`created-${kind}`);
    await client.waitForTask(await client.deleteVm('still-fawn', vmid));
  });

  it('serves the direct calls the helpers wrap: nextid, create, linked clone, task status', async () => {
    const free = await client.nextId();
    expect(await client.nextId(free)).toBe(free);
    const created = await client.create('pve1', free, {
      name: `direct-${kind}`,
      memory: 512,
      tags: 'pve-gitops',
    });
    await client.waitForTask(created);
    expect(await client.taskStatus('pve1', created)).toMatchObject({
      status: 'stopped',
      exitstatus: 'OK',
    });
    const taken = await client.nextId(free).catch((e: unknown) => e);
    expect((taken as ProxmoxApiError).errors).toEqual({ vmid: `VM ${free} already exists` });
    const copy = await client.nextId();
    const cloned = await client.clone('pve1', 9000, {
      newid: copy,
      name: `linked-${kind}`,
      full: false,
    });
    expect((await client.waitForTask(cloned)).exitstatus).toBe('OK');
    expect((await client.getConfig('pve1', copy)).name).toBe(`linked-${kind}`);
    for (const id of [copy, free]) await client.waitForTask(await client.deleteVm('pve1', id));
  });

  it('maps a missing VM to NotFound', async () => {
    const err = await client.status('pve1', 99_999).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProxmoxApiError);
    expect((err as ProxmoxApiError).kind).toBe('not-found');
  });
});

describe('requests the client sent', () => {
  it('are checked by a validator that catches bad ones', () => {
    const schema = loadSchema(9);
    expect(
      validate(schema, 'POST', '/nodes/pve1/qemu/100/clone', { newid: 5, full: 'true', bogus: 1 }),
    ).toEqual([
      'POST /nodes/{node}/qemu/{vmid}/clone: newid="5" is not a valid integer (min 100)',
      'POST /nodes/{node}/qemu/{vmid}/clone: full="true" is not a valid boolean',
      'POST /nodes/{node}/qemu/{vmid}/clone: parameter bogus is not declared',
    ]);
    expect(validate(schema, 'PATCH' as HttpMethod, '/version', {})).toEqual([
      'PATCH /version: no such method',
    ]);
    expect(validate(schema, 'GET', '/nodes/pve1/nope', {})).toEqual([
      'GET /nodes/pve1/nope: no such path',
    ]);
  });

  it('cover every typed method of the client', () => {
    const methods = Object.getOwnPropertyNames(ProxmoxClient.prototype).filter(
      (m) => !['constructor', 'raw', 'close'].includes(m),
    );
    expect(methods.length).toBeGreaterThan(30);
    expect(methods.filter((m) => !called.has(m))).toEqual([]);
  });

  it.each([8, 9] as const)('are all valid against the PVE %i API schema', (major) => {
    expect(recorded.length).toBeGreaterThan(20);
    const schema = loadSchema(major);
    expect(recorded.flatMap((r) => validate(schema, r.method, r.path, r.params))).toEqual([]);
  });
});

describe('PVE 8 and PVE 9 differ on the served paths', () => {
  const transport = (major: PveMajor, patch: Record<string, string> = {}) =>
    new HttpsTransport(clientConfigFromEnv(env(patch, sims[major])));

  it('a PVE 8 simulator refuses allow-ksm, a config key only PVE 9 has', async () => {
    const t8 = transport(8);
    const err = (await t8
      .request('PUT', '/nodes/pve1/qemu/9000/config', { 'allow-ksm': 0 })
      .catch((e: unknown) => e)) as ProxmoxApiError;
    await t8.close();
    expect(err).toBeInstanceOf(ProxmoxApiError);
    expect(err.status).toBe(400);
    expect(err.errors).toEqual({
      'allow-ksm':
        'property is not defined in schema and the schema does not allow additional properties',
    });
    expect(sims[8].cluster.state.vms[9000].config['allow-ksm']).toBeUndefined();

    const t9 = transport(9);
    await t9.request('PUT', '/nodes/pve1/qemu/9000/config', { 'allow-ksm': 0 });
    expect(sims[9].cluster.state.vms[9000].config['allow-ksm']).toBe(0);
    await t9.request('PUT', '/nodes/pve1/qemu/9000/config', { delete: 'allow-ksm' });
    await t9.close();
  });

  it('guest-agent calls need VM.Monitor on PVE 8 and VM.GuestAgent.* on PVE 9', async () => {
    const secret = '22222222-3333-4444-8555-666666666666';
    const outcome = async (major: PveMajor, privs: string[]) => {
      const id = `root@pam!agent-${privs[0].toLowerCase().replace(/\W/g, '-')}`;
      sims[major].addToken(id, secret, { '/vms': privs });
      const t = transport(major, { PROXMOX_TOKEN_ID: id, PROXMOX_TOKEN_SECRET: secret });
      const err = (await t
        .request('POST', '/nodes/pve1/qemu/9000/agent/ping')
        .catch((e: unknown) => e)) as ProxmoxApiError;
      await t.close();
      // Past the permission check a stopped template answers 500 `VM 9000 is not running`.
      return `${err.status} ${err.message}`;
    };
    expect(await outcome(8, ['VM.Monitor'])).toMatch(/^500 .*not running/);
    expect(await outcome(8, ['VM.GuestAgent.Audit'])).toMatch(/^403 .*\/vms\/9000.*VM\.Monitor/);
    expect(await outcome(9, ['VM.GuestAgent.Audit'])).toMatch(/^500 .*not running/);
    expect(await outcome(9, ['VM.Monitor'])).toMatch(
      /^403 .*\/vms\/9000.*VM\.GuestAgent\.Audit\|VM\.GuestAgent\.Unrestricted/,
    );
  });
});

describe('bad input against the simulator', () => {
  it('a wrong token secret gives one sentence naming PROXMOX_TOKEN_ID', async () => {
    const t = new HttpsTransport(
      clientConfigFromEnv(env({ PROXMOX_TOKEN_SECRET: '00000000-0000-4000-8000-000000000000' })),
    );
    const err = (await t.request('GET', '/version').catch((e: unknown) => e)) as ProxmoxApiError;
    await t.close();
    expect(err.status).toBe(401);
    expect(err.message).toMatch(
      /^Proxmox rejected the API token \(401 [^)]*\): check PROXMOX_TOKEN_ID/,
    );
  });

  it('a token without a privilege gives a sentence naming it and the path', async () => {
    sim.addToken('root@pam!readonly', '11111111-2222-4333-8444-555555555555', {
      '/': ['VM.Audit', 'Sys.Audit', 'Datastore.Audit'],
    });
    const t = new HttpsTransport(
      clientConfigFromEnv(
        env({
          PROXMOX_TOKEN_ID: 'root@pam!readonly',
          PROXMOX_TOKEN_SECRET: '11111111-2222-4333-8444-555555555555',
        }),
      ),
    );
    const client = new ProxmoxClient({ transport: t });
    const err = (await client
      .clone('pve1', 9000, { newid: 4242, name: 'nope' })
      .catch((e: unknown) => e)) as ProxmoxApiError;
    await client.close();
    expect(err.status).toBe(403);
    expect(err.message).toMatch(/lacks privilege VM\.\w+ on \/vms\/\d+/);
  });

  it('a wrong fingerprint is refused with both fingerprints', async () => {
    const wrong = '00:'.repeat(31) + '00';
    const t = new HttpsTransport(clientConfigFromEnv(env({ PROXMOX_TLS_FINGERPRINT: wrong })));
    const err = (await t
      .request('GET', '/version')
      .catch((e: unknown) => e)) as ProxmoxConnectionError;
    await t.close();
    expect(err.phase).toBe('tls');
    expect(err.message).toContain(`expected ${wrong}, received ${sim.fingerprint}`);
  });

  it('falls back to SSH/pvesh when the API port is closed, and logs it', async () => {
    const closed = await closedLoopbackPort();
    const keyFile = path.join(dir, 'id');
    const fallbackLog = memoryLogger();
    const config = clientConfigFromEnv(
      env({
        PROXMOX_URL: closed.url,
        PROXMOX_SSH_USER: ssh.user,
        PROXMOX_SSH_KEY: keyFile,
        PROXMOX_SSH_HOST: node.host,
        PROXMOX_SSH_PORT: String(node.port),
        PROXMOX_SSH_KNOWN_HOSTS: ssh.knownHostsFile,
      }),
    );
    const client = createClient(config, { log: fallbackLog });
    expect((await client.nodes()).length).toBe(3);
    expect((await client.version()).version).toMatch(/^\d/);
    await client.close();
    const warnings = fallbackLog.lines.filter((l) => l.includes('using SSH/pvesh'));
    expect(warnings).toEqual([
      `warn: Proxmox API failed (Cannot reach the Proxmox API at PROXMOX_URL (${closed.url}): connection refused), using SSH/pvesh on 127.0.0.31`,
    ]);
  });

  it('falls back to SSH/pvesh when the TLS handshake fails (fingerprint mismatch)', async () => {
    const wrong = 'AA:'.repeat(31) + 'AA';
    const l = memoryLogger();
    const config = clientConfigFromEnv(
      env({
        PROXMOX_TLS_FINGERPRINT: wrong,
        PROXMOX_SSH_USER: ssh.user,
        PROXMOX_SSH_KEY: path.join(dir, 'id'),
        PROXMOX_SSH_HOST: node.host,
        PROXMOX_SSH_PORT: String(node.port),
        PROXMOX_SSH_KNOWN_HOSTS: ssh.knownHostsFile,
      }),
    );
    const client = createClient(config, { log: l });
    expect((await client.nodes()).length).toBe(3);
    await client.close();
    expect(l.lines).toEqual([
      expect.stringMatching(
        new RegExp(
          `^warn: Proxmox API failed \\(.*does not match PROXMOX_TLS_FINGERPRINT: expected ${wrong}, received ${sim.fingerprint}.*\\), using SSH/pvesh on 127\\.0\\.0\\.31$`,
        ),
      ),
    ]);
  });

  it('does not fall back on an HTTP error answer', async () => {
    const config = clientConfigFromEnv(
      env({
        PROXMOX_SSH_USER: ssh.user,
        PROXMOX_SSH_KEY: path.join(dir, 'id'),
        PROXMOX_SSH_HOST: node.host,
        PROXMOX_SSH_PORT: String(node.port),
        PROXMOX_SSH_KNOWN_HOSTS: ssh.knownHostsFile,
      }),
    );
    const l = memoryLogger();
    const client = createClient(config, { log: l });
    await expect(client.getConfig('pve1', 99_998)).rejects.toThrow(/does not exist/);
    await client.close();
    expect(l.lines.join('\n')).not.toContain('SSH');
  });
});
