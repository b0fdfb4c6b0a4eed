/**
 * pve-gitops keeps what Proxmox does not record (the template a VM was cloned from, full or
 * linked clone) in a hidden last line of the VM's notes. The GUI renders notes as Markdown,
 * where an HTML comment is invisible.
 */

const META_RE = /\n*<!-- pve-gitops (.*?) -->\s*$/;

export interface DescriptionMeta {
  template?: string;
  fullClone?: boolean;
}

/** Description PVE should hold for a user description plus metadata. */
export function composeDescription(user: string | undefined, meta: DescriptionMeta): string {
  const parts: string[] = [];
  if (meta.template) parts.push(`template=${meta.template}`);
  if (meta.fullClone !== undefined) parts.push(`full_clone=${meta.fullClone ? 1 : 0}`);
  const line = `<!-- pve-gitops ${parts.join(' ')} -->`;
  const text = user?.trim();
  return text ? `${text}\n\n${line}` : line;
}

/** Splits a PVE description into the user text and pve-gitops metadata. */
export function splitDescription(value: string | undefined): { user?: string } & DescriptionMeta {
  if (!value) return {};
  const m = META_RE.exec(value);
  if (!m) return { user: value.trim() || undefined };
  const user = value.slice(0, m.index).trim() || undefined;
  const meta: DescriptionMeta = {};
  for (const kv of m[1].split(/\s+/)) {
    const [k, v] = kv.split('=');
    if (k === 'template' && v) meta.template = v;
    if (k === 'full_clone') meta.fullClone = v === '1';
  }
  return { user, ...meta };
}
