const cache = new Map<string, RegExp>();

/**
 * A glob as a regular expression: `*` matches within one path segment, `**` across segments,
 * `?` one character; everything else is literal.
 */
export function globToRegExp(glob: string): RegExp {
  let re = cache.get(glob);
  if (re) return re;
  let src = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*' && glob[i + 1] === '*') {
      src += glob[i + 2] === '/' ? '(?:.*/)?' : '.*';
      i += glob[i + 2] === '/' ? 2 : 1;
    } else if (c === '*') src += '[^/]*';
    else if (c === '?') src += '[^/]';
    else src += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  re = new RegExp(`^${src}$`);
  cache.set(glob, re);
  return re;
}

/** Whether `name` (a VM name or a path relative to vms/) matches `glob`. */
export function matchesGlob(name: string, glob: string): boolean {
  return globToRegExp(glob).test(name);
}
