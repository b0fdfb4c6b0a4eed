/**
 * The glob dialects in use. Each caller names its own, so none inherits another's rules:
 * - `path`: `*` matches within one `/` segment, `**` across segments, `?` one character
 *   (pve-gitops.yaml `exclude`, VM file paths).
 * - `name`: only `*` is special, matching any run of characters (newlines included); `?` is
 *   literal. Go's github.com/ryanuber/go-glob as Vault's `bound_claims_type: glob` uses it,
 *   and the inventory's group rules.
 * - `ssh`: `*` any run, `?` one character, case-insensitive: OpenSSH's known_hosts patterns.
 */
export type GlobDialect = 'path' | 'name' | 'ssh';

const FLAGS: Record<GlobDialect, string> = { path: '', name: 's', ssh: 'i' };
const cache = new Map<string, RegExp>();

/** A glob as a regular expression anchored at both ends; everything not special is literal. */
export function globToRegExp(glob: string, dialect: GlobDialect): RegExp {
  const key = `${dialect}:${glob}`;
  let re = cache.get(key);
  if (re) return re;
  const paths = dialect === 'path';
  let src = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*' && paths && glob[i + 1] === '*') {
      const slash = glob[i + 2] === '/';
      src += slash ? '(?:.*/)?' : '.*';
      i += slash ? 2 : 1;
    } else if (c === '*') src += paths ? '[^/]*' : '.*';
    else if (c === '?' && dialect !== 'name') src += paths ? '[^/]' : '.';
    else src += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  re = new RegExp(`^${src}$`, FLAGS[dialect]);
  cache.set(key, re);
  return re;
}

/** Whether all of `name` matches `glob` in `dialect`. */
export function matchesGlob(name: string, glob: string, dialect: GlobDialect): boolean {
  return globToRegExp(glob, dialect).test(name);
}
