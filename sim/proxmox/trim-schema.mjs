// Generates sim/proxmox/pve-api/pve9-routes.json and pve8-routes.json from the official PVE 9
// and PVE 8 API schemas: only the paths the simulator serves, without descriptions, so the CLI
// bundle stays small.
// Usage: node sim/proxmox/trim-schema.mjs [DIR holding pve8-apischema.json.gz and pve9-apischema.json.gz]
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';

const here = import.meta.dirname;
const srcDir = process.argv[2] ?? path.join(here, '../../vendor/pve-api');
const served = [
  '/version',
  '/access/ticket',
  '/access/permissions',
  '/cluster/resources',
  '/cluster/nextid',
  '/nodes',
  '/nodes/{node}/status',
  '/nodes/{node}/network',
  '/nodes/{node}/storage',
  '/nodes/{node}/certificates/info',
  '/nodes/{node}/tasks/{upid}/status',
  '/nodes/{node}/tasks/{upid}/log',
  '/nodes/{node}/qemu',
  '/nodes/{node}/qemu/{vmid}',
  '/nodes/{node}/qemu/{vmid}/config',
  '/nodes/{node}/qemu/{vmid}/pending',
  '/nodes/{node}/qemu/{vmid}/resize',
  '/nodes/{node}/qemu/{vmid}/clone',
  '/nodes/{node}/qemu/{vmid}/migrate',
  '/nodes/{node}/qemu/{vmid}/status/current',
  ...['start', 'stop', 'shutdown', 'reboot', 'reset', 'suspend', 'resume'].map(
    (a) => `/nodes/{node}/qemu/{vmid}/status/${a}`,
  ),
  '/nodes/{node}/qemu/{vmid}/agent/ping',
  '/nodes/{node}/qemu/{vmid}/agent/network-get-interfaces',
  '/nodes/{node}/qemu/{vmid}/agent/exec',
  '/nodes/{node}/qemu/{vmid}/agent/exec-status',
  '/nodes/{node}/qemu/{vmid}/agent/file-read',
  '/nodes/{node}/qemu/{vmid}/agent/file-write',
  '/nodes/{node}/qemu/{vmid}/agent/get-osinfo',
  '/nodes/{node}/qemu/{vmid}/agent/info',
  '/nodes/{node}/qemu/{vmid}/snapshot',
  '/nodes/{node}/qemu/{vmid}/snapshot/{snapname}',
  '/nodes/{node}/qemu/{vmid}/snapshot/{snapname}/rollback',
  '/nodes/{node}/qemu/{vmid}/move_disk',
  '/nodes/{node}/qemu/{vmid}/unlink',
  '/cluster/status',
  '/cluster/ha/resources',
  '/cluster/ha/status/current',
  '/cluster/tasks',
  '/pools',
  '/storage',
  '/nodes/{node}/storage/{storage}/status',
  '/nodes/{node}/storage/{storage}/content',
  '/nodes/{node}/tasks',
  '/nodes/{node}/lxc',
];
const drop = new Set([
  'description',
  'verbose_description',
  'typetext',
  'text',
  'format_description',
  'returns',
]);

function strip(v) {
  if (Array.isArray(v)) return v.map(strip);
  if (v && typeof v === 'object') {
    const out = {};
    for (const [k, x] of Object.entries(v))
      if (!(drop.has(k) && typeof x === 'string')) out[k] = strip(x);
    return out;
  }
  return v;
}

function trim(major) {
  const src = path.join(srcDir, `pve${major}-apischema.json.gz`);
  const byPath = new Map();
  const walk = (n) => {
    byPath.set(n.path, n);
    for (const c of n.children ?? []) walk(c);
  };
  for (const n of JSON.parse(gunzipSync(readFileSync(src)).toString('utf8'))) walk(n);
  const routes = {};
  for (const p of served) {
    const node = byPath.get(p);
    if (!node?.info) throw new Error(`${p} is not in ${src}`);
    routes[p] = {};
    for (const [method, info] of Object.entries(node.info)) {
      routes[p][method] = {
        parameters: strip(info.parameters),
        permissions: strip(info.permissions),
      };
    }
  }
  const out = path.join(here, 'pve-api', `pve${major}-routes.json`);
  writeFileSync(out, JSON.stringify(routes) + '\n');
  console.error(`${path.relative(process.cwd(), out)}: ${Object.keys(routes).length} paths`);
}
for (const major of [9, 8]) trim(major);
