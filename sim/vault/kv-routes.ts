import { envelope } from './fields.js';
import {
  kv2Metadata,
  kv2Patch,
  kv2PatchMetadata,
  kv2Read,
  kv2Subkeys,
  kv2Versions,
  kv2Write,
  kv2WriteMetadata,
  listKeys,
} from './kv.js';
import type { MountMatch, RouteContext, VaultRequest, VaultResponse } from './route-context.js';
import { VaultError } from './vault-error.js';

/** A KV v1 mount: secrets read, written, listed and deleted at their own paths. */
export function kv1Route(
  ctx: RouteContext,
  req: VaultRequest,
  { name, mount, rest }: MountMatch,
  m: string,
): VaultResponse {
  const full = `${name}${rest}`;
  if (m === 'LIST') {
    ctx.require(req, full, 'list');
    return { status: 200, body: envelope({ keys: listKeys(Object.keys(mount.v1), rest) }) };
  }
  if (m === 'GET') {
    ctx.require(req, full, 'read');
    const d = mount.v1[rest];
    if (!d) throw new VaultError(404, []);
    return { status: 200, body: envelope(d, { lease_duration: 2764800 }) };
  }
  if (m === 'POST' || m === 'PUT') {
    ctx.require(req, full, mount.v1[rest] ? 'update' : 'create');
    mount.v1[rest] = req.body;
    return ctx.changed({ status: 204 });
  }
  if (m === 'DELETE') {
    ctx.require(req, full, 'delete');
    delete mount.v1[rest];
    return ctx.changed({ status: 204 });
  }
  throw new VaultError(405, ['unsupported operation']);
}

/** Vault's HTTP layer takes PATCH bodies only as JSON merge patches (http/logical.go). */
function mergePatchBody(req: VaultRequest): void {
  if (req.contentType !== 'application/merge-patch+json')
    throw new VaultError(415, [
      `PATCH requires Content-Type application/merge-patch+json, provided ${req.contentType || 'none'}`,
    ]);
}

/** A KV v2 mount: data/, metadata/, delete/, undelete/, destroy/ and config. */
export function kv2Route(
  ctx: RouteContext,
  req: VaultRequest,
  { name, mount, rest }: MountMatch,
  m: string,
): VaultResponse {
  const [kind, ...tail] = rest.split('/');
  const p = tail.join('/');
  const full = `${name}${rest}`;
  const ok = (data: unknown) => ({ status: 200, body: envelope(data) });
  if (kind === 'data') {
    if (m === 'GET') {
      ctx.require(req, full, 'read');
      const v = req.query.get('version');
      try {
        return ok(kv2Read(mount, p, v ? Number(v) : undefined));
      } catch (e) {
        if (e instanceof VaultError && e.extra) throw new VaultError(404, [], envelope(e.extra));
        throw e;
      }
    }
    if (m === 'POST' || m === 'PUT') {
      ctx.require(req, full, mount.v2[p]?.current_version ? 'update' : 'create');
      return ctx.changed(ok(kv2Write(mount, p, req.body)));
    }
    if (m === 'DELETE') {
      ctx.require(req, full, 'delete');
      kv2Versions(mount, p, 'delete');
      return ctx.changed({ status: 204 });
    }
    if (m === 'PATCH') {
      ctx.require(req, full, 'patch');
      mergePatchBody(req);
      return ctx.changed(ok(kv2Patch(mount, p, req.body)));
    }
  }
  if (kind === 'subkeys' && m === 'GET') {
    ctx.require(req, full, 'read');
    const v = req.query.get('version');
    const depth = Number(req.query.get('depth') ?? 0);
    return ok(kv2Subkeys(mount, p, depth, v ? Number(v) : undefined));
  }
  if (kind === 'metadata') {
    if (m === 'LIST') {
      ctx.require(req, full, 'list');
      return ok({ keys: listKeys(Object.keys(mount.v2), p) });
    }
    if (m === 'GET') {
      ctx.require(req, full, 'read');
      return ok(kv2Metadata(mount, p));
    }
    if (m === 'POST' || m === 'PUT') {
      ctx.require(req, full, mount.v2[p] ? 'update' : 'create');
      kv2WriteMetadata(mount, p, req.body);
      return ctx.changed({ status: 204 });
    }
    if (m === 'DELETE') {
      ctx.require(req, full, 'delete');
      delete mount.v2[p];
      return ctx.changed({ status: 204 });
    }
    if (m === 'PATCH') {
      ctx.require(req, full, 'patch');
      mergePatchBody(req);
      kv2PatchMetadata(mount, p, req.body);
      return ctx.changed({ status: 204 });
    }
  }
  if (
    (kind === 'delete' || kind === 'undelete' || kind === 'destroy') &&
    (m === 'POST' || m === 'PUT')
  ) {
    ctx.require(req, full, 'update');
    kv2Versions(mount, p, kind, req.body.versions);
    return ctx.changed({ status: 204 });
  }
  if (kind === 'config') {
    ctx.require(req, full, m === 'GET' ? 'read' : 'update');
    if (m === 'GET')
      return ok({
        cas_required: mount.cas_required,
        delete_version_after: '0s',
        max_versions: mount.max_versions,
      });
    if (req.body.cas_required !== undefined)
      mount.cas_required = req.body.cas_required === true || req.body.cas_required === 'true';
    if (req.body.max_versions !== undefined) mount.max_versions = Number(req.body.max_versions);
    return ctx.changed({ status: 204 });
  }
  ctx.tokenOf(req);
  throw new VaultError(404, [`no handler for route "${full}". route entry not found.`]);
}
