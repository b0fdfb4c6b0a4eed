/**
 * Ansible's inventory grammar, as the INI inventory pve-gitops writes must respect it. One
 * copy, used by validate (so a pull request is told) and by the inventory renderer (which
 * refuses the same values if they ever reach it another way).
 *
 * Sources: Ansible's `to_safe_group_name` (lib/ansible/inventory/group.py) treats every
 * character outside `[A-Za-z0-9_]` and a leading digit as invalid in a group name; the INI
 * plugin (lib/ansible/plugins/inventory/ini.py) splits a host line on whitespace with shlex
 * and reads `key=value` after the name, starts a section at `[`, and a comment at `#`/`;`.
 * `all` and `ungrouped` are the implicit groups and `localhost` the implicit host; checked
 * with ansible-inventory 2.14 here ("Found both group and host with same name: haproxy").
 */

/** Names Ansible gives a meaning of its own; never a host or a group of ours. */
export const RESERVED_INVENTORY_NAMES: readonly string[] = ['all', 'ungrouped', 'localhost'];

const GROUP = /^[A-Za-z_][A-Za-z0-9_]*$/;
const VARIABLE = /^[A-Za-z_][A-Za-z0-9_]*$/;
// A DNS-like name: no '=', whitespace, '[', ':', ',', quotes, '#' or ';'.
const HOST = /^[A-Za-z0-9]([A-Za-z0-9._-]{0,251}[A-Za-z0-9])?$/;
// Anything that could end an INI value or start a comment is refused rather than escaped.
// `{` too: Ansible templates inventory values, so `{{ lookup('pipe', …) }}` would run.
const PLAIN_VALUE = /^[^\s#;'"\\`${}]*$/;

/** Why `name` cannot be an inventory group (a phrase after the name), or undefined. */
export function groupNameProblem(name: string): string | undefined {
  if (!GROUP.test(name))
    return 'is not an Ansible group name (letters, digits and _, not starting with a digit)';
  if (RESERVED_INVENTORY_NAMES.includes(name)) return 'is reserved by Ansible';
  return undefined;
}

/** Why `name` cannot be an inventory host (a phrase after the name), or undefined. */
export function hostNameProblem(name: string): string | undefined {
  if (!HOST.test(name))
    return "is not an inventory host name (letters, digits, '.', '_' and '-'; no '=', spaces, '[' or quotes)";
  if (RESERVED_INVENTORY_NAMES.includes(name)) return 'is reserved by Ansible';
  return undefined;
}

/** Why `name` cannot be an Ansible variable name, or undefined. */
export function variableNameProblem(name: string): string | undefined {
  return VARIABLE.test(name)
    ? undefined
    : 'is not a valid Ansible variable name (letters, digits and _, not starting with a digit)';
}

/** Why `value` cannot be written as an INI inventory value, or undefined. */
export function inventoryValueProblem(value: string): string | undefined {
  return PLAIN_VALUE.test(value)
    ? undefined
    : "cannot go into inventory/k8s.ini; remove spaces, quotes, '\\', '`', '$', '{', '}', '#' and ';'";
}
