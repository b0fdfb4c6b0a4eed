import { ApiError } from '../api-error.js';
import { hasPriv } from '../auth.js';
import { str, type Routes } from '../context.js';
import { asObject, effectivePrivs, permissionTree } from '../permissions.js';

export const accessRoutes: Routes = {
  /**
   * pve-access-control src/PVE/API2/AccessControl.pm `permissions`: a user or token may dump
   * its own permissions (a user those of its tokens too); anyone else's need Sys.Audit on
   * /access. With `path`, that path's privileges; without, the effective tree.
   */
  'GET /access/permissions': (ctx) => {
    const self = ctx.who.tokenId ?? ctx.who.user;
    const userid = str(ctx, 'userid') ?? self;
    const owner = userid.split('!')[0];
    const owned = userid.includes('!') && owner === self;
    if (userid !== self && !owned && !hasPriv(ctx.who, '/access', 'Sys.Audit'))
      throw new ApiError(403, 'Permission check failed (/access, Sys.Audit)');
    const path = str(ctx, 'path');
    const s = ctx.cluster.state;
    return path ? { [path]: asObject(effectivePrivs(s, userid, path)) } : permissionTree(s, userid);
  },
};
