/** Capabilities a Vault ACL rule grants. */
export type Capability =
  'create' | 'read' | 'update' | 'patch' | 'delete' | 'list' | 'sudo' | 'deny';

export interface PolicyRule {
  path: string;
  capabilities: Capability[];
}

const CAPS = new Set(['create', 'read', 'update', 'patch', 'delete', 'list', 'sudo', 'deny']);

/**
 * Parses the subset of policy HCL that people write for Vault (`path "…" { capabilities =
 * [...] }`, comments) or its JSON form. Throws a sentence Vault-like on anything else.
 */
export function parsePolicy(text: string): PolicyRule[] {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    const obj = JSON.parse(trimmed) as { path?: Record<string, { capabilities?: string[] }> };
    return Object.entries(obj.path ?? {}).map(([p, v]) => rule(p, v.capabilities ?? []));
  }
  const src = trimmed.replace(/(^|\s)(#|\/\/)[^\n]*/g, '$1');
  const rules: PolicyRule[] = [];
  const re = /path\s+"([^"]*)"\s*\{([^}]*)\}/g;
  for (let m = re.exec(src); m; m = re.exec(src)) {
    const caps = /capabilities\s*=\s*\[([^\]]*)\]/.exec(m[2]);
    const list = caps ? [...caps[1].matchAll(/"([^"]*)"/g)].map((x) => x[1]) : [];
    rules.push(rule(m[1], list));
  }
  if (!rules.length && src.trim()) throw new Error('failed to parse policy: no path stanzas');
  return rules;
}

function rule(p: string, caps: string[]): PolicyRule {
  for (const c of caps) if (!CAPS.has(c)) throw new Error(`invalid capability "${c}"`);
  return { path: p.replace(/^\//, ''), capabilities: caps as Capability[] };
}

function matches(pattern: string, p: string): boolean {
  const glob = pattern.endsWith('*');
  const base = glob ? pattern.slice(0, -1) : pattern;
  const pat = base.split('/');
  const segs = p.split('/');
  for (let i = 0; i < pat.length; i++) {
    const last = i === pat.length - 1;
    if (pat[i] === '+') {
      if (segs[i] === undefined) return false;
      continue;
    }
    if (last && glob) return segs[i] !== undefined && segs[i].startsWith(pat[i]);
    if (segs[i] !== pat[i]) return false;
  }
  return glob ? segs.length >= pat.length : segs.length === pat.length;
}

/** Vault's priority: exact over glob, fewer `+`, longer prefix. Lower score wins. */
function score(pattern: string): [number, number, number] {
  return [pattern.endsWith('*') ? 1 : 0, pattern.split('+').length - 1, -pattern.length];
}

/** The capabilities `policies` grant on `p` (the path after /v1/, no leading slash). */
export function capabilitiesOn(policies: PolicyRule[][], p: string): Set<Capability> {
  const out = new Set<Capability>();
  for (const rules of policies) {
    const hits = rules.filter((r) => matches(r.path, p));
    if (!hits.length) continue;
    hits.sort((a, b) => {
      const [x, y] = [score(a.path), score(b.path)];
      return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
    });
    for (const c of hits[0].capabilities) out.add(c);
  }
  if (out.has('deny')) return new Set(['deny']);
  return out;
}
