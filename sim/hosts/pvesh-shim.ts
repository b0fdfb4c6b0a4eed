import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { shellQuote } from '../../actions/lib/proxmox/shell-quote.js';

/**
 * A stand-in for `pvesh` on a simulated node: `pvesh get|create|set|delete <path> [--k v]...
 * --output-format json` becomes an HTTPS call to the Proxmox simulator on loopback. Like real
 * pvesh it runs worker tasks synchronously (task log on stdout, then the UPID as JSON; on
 * failure the error on stderr), prints bare data, and exits 0 or 255. The token and the
 * certificate fingerprint come from a 0600 JSON file named by PVESH_SHIM_CONFIG, never argv.
 * Plain JavaScript kept in a string so bundles can write it out.
 */
export const PVESH_SHIM_SOURCE = String.raw`
import fs from 'node:fs';
import https from 'node:https';
import tls from 'node:tls';

const cfg = JSON.parse(fs.readFileSync(process.env.PVESH_SHIM_CONFIG, 'utf8'));
const verbs = { get: 'GET', create: 'POST', set: 'PUT', delete: 'DELETE' };

function fail(msg) {
  process.stderr.write(msg.endsWith('\n') ? msg : msg + '\n');
  process.exit(255);
}

const [verb, apiPath, ...rest] = process.argv.slice(2);
const method = verbs[verb];
if (!method || !apiPath) fail('USAGE: pvesh get|create|set|delete <api_path> [OPTIONS] [FORMAT_OPTIONS]');
const params = [];
let format = 'text';
for (let i = 0; i < rest.length; i++) {
  const a = rest[i];
  if (!a.startsWith('--')) fail('400 unable to parse option ' + a);
  const k = a.slice(2);
  const v = rest[i + 1];
  if (v === undefined) fail('400 missing value for option ' + a);
  i++;
  if (k === 'output-format') format = v;
  else if (k === 'noproxy' || k === 'quiet') continue;
  else params.push([k, v]);
}
const base = new URL(cfg.url);
const form = params.map(([k, v]) => encodeURIComponent(k) + '=' + encodeURIComponent(v)).join('&');

function connect() {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: base.hostname, port: Number(base.port || 8006), rejectUnauthorized: false });
    s.once('error', reject);
    s.once('secureConnect', () => {
      const got = s.getPeerCertificate().fingerprint256;
      if (got !== cfg.fingerprint) {
        s.destroy();
        reject(new Error('certificate fingerprint mismatch: expected ' + cfg.fingerprint + ', received ' + got));
      } else resolve(s);
    });
  });
}

async function call(m, p, body) {
  const socket = await connect();
  const query = (m === 'GET' || m === 'DELETE') && body ? '?' + body : '';
  const data = m === 'GET' || m === 'DELETE' ? undefined : Buffer.from(body || '');
  const headers = { Authorization: 'PVEAPIToken=' + cfg.tokenId + '=' + cfg.tokenSecret };
  if (data) {
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
    headers['Content-Length'] = String(data.length);
  }
  return new Promise((resolve, reject) => {
    const req = https.request({ createConnection: () => socket, method: m, path: '/api2/json' + p + query, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        socket.destroy();
        let json = null;
        try { json = JSON.parse(Buffer.concat(chunks).toString('utf8')); } catch { json = null; }
        resolve({ status: res.statusCode, reason: res.statusMessage, json });
      });
    });
    req.on('error', reject);
    req.end(data);
  });
}

function die(r) {
  const msg = (r.json && typeof r.json.message === 'string' && r.json.message.trim()) || r.reason || 'error';
  const errs = r.json && r.json.errors ? Object.entries(r.json.errors).map(([k, v]) => k + ': ' + v + '\n').join('') : '';
  if (r.status === 500) fail(msg.trim() + '\n' + errs);
  fail(r.status + ' ' + msg.trim() + '\n' + errs);
}

function print(data) {
  if (format === 'json-pretty') process.stdout.write(JSON.stringify(data, null, 2) + '\n');
  else if (format === 'json') process.stdout.write(JSON.stringify(data) + '\n');
  else process.stdout.write((typeof data === 'string' ? data : JSON.stringify(data)) + '\n');
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

try {
  const r = await call(method, apiPath, form);
  if (r.status < 200 || r.status >= 300) die(r);
  const data = r.json ? r.json.data : null;
  const upid = typeof data === 'string' && /^UPID:[^:]+:/.test(data) ? data : undefined;
  if (upid && method !== 'GET') {
    const node = upid.split(':')[1];
    const tp = '/nodes/' + encodeURIComponent(node) + '/tasks/' + encodeURIComponent(upid);
    let st;
    for (let i = 0; ; i++) {
      const s = await call('GET', tp + '/status');
      if (s.status === 200 && s.json.data.status === 'stopped') { st = s.json.data; break; }
      if (s.status !== 200 && s.status !== 400) die(s);
      await sleep(Math.min(200, 20 + i * 10));
    }
    const log = await call('GET', tp + '/log', 'start=0&limit=100000');
    const lines = log.status === 200 ? log.json.data.map((l) => l.t) : [];
    const ok = st.exitstatus === 'OK' || String(st.exitstatus).startsWith('WARNINGS');
    const body = lines.filter((t) => !/^TASK (OK|ERROR)/.test(t));
    if (body.length) process.stdout.write(body.join('\n') + '\n');
    if (!ok) fail(st.exitstatus);
  }
  print(data);
} catch (err) {
  fail('pvesh: ' + (err && err.message ? err.message : String(err)));
}
`;

export interface PveshShimOptions {
  /** Directory for bin/pvesh, the script and its 0600 config. */
  dir: string;
  url: string;
  tokenId: string;
  tokenSecret: string;
  /** SHA-256 of the simulator's certificate (upper-case hex with colons). */
  fingerprint: string;
  /** Node binary; default the one running now (Node 24). */
  node?: string;
}

/** Writes the shim; returns the directory to put first on an SSH session's PATH. */
export function installPveshShim(o: PveshShimOptions): { binDir: string; configFile: string } {
  const binDir = path.join(o.dir, 'bin');
  mkdirSync(binDir, { recursive: true, mode: 0o700 });
  const script = path.join(o.dir, 'pvesh-shim.mjs');
  writeFileSync(script, PVESH_SHIM_SOURCE, { mode: 0o600 });
  const configFile = path.join(o.dir, 'pvesh-shim.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      url: o.url,
      tokenId: o.tokenId,
      tokenSecret: o.tokenSecret,
      fingerprint: o.fingerprint,
    }),
    { mode: 0o600 },
  );
  chmodSync(configFile, 0o600);
  const wrapper = [
    '#!/bin/sh',
    `PVESH_SHIM_CONFIG=${shellQuote(configFile)} exec ${shellQuote(o.node ?? process.execPath)} ${shellQuote(script)} "$@"`,
    '',
  ].join('\n');
  writeFileSync(path.join(binDir, 'pvesh'), wrapper, { mode: 0o700 });
  chmodSync(path.join(binDir, 'pvesh'), 0o700);
  return { binDir, configFile };
}
