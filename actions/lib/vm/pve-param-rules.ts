import { isIPv6 } from 'node:net';
import type { Diagnostic } from './diagnostics.js';
import { ipv4ToInt } from './ipconfig.js';
import type { ParsedVm } from './rules.js';
import { showValue } from './show-value.js';
import { positionOf, type PathSegment } from './yaml-source.js';

/**
 * PVE's `description` is at most 8192 characters (vendor/pve-api, qemu config
 * `maxLength: 8192`); pve-gitops appends its own hidden line (reconcile/description.ts), so
 * the user's part keeps room for it.
 */
export const MAX_DESCRIPTION = 8192 - 512;

function at(vm: ParsedVm, where: PathSegment[], message: string): Diagnostic {
  const { line, col } = positionOf(vm.source, where);
  return { file: vm.file, line, col, message, vm: vm.def.name, severity: 'error' };
}

/**
 * Why a `nameserver` value is not PVE's `address-list` (IP addresses separated by spaces,
 * commas or semicolons; pve-common's pve_verify_address_list), or undefined.
 */
export function nameserverProblem(value: string): string | undefined {
  const bad = value
    .split(/[\s,;]+/)
    .filter(Boolean)
    .find((a) => ipv4ToInt(a) === undefined && !isIPv6(a));
  if (bad !== undefined || !value.trim())
    return `is not a list of IP addresses separated by spaces${bad ? ` (${showValue(bad, 40)} is not one)` : ''}`;
  return undefined;
}

/** Values apply sends to PVE as they are, checked as PVE checks them. */
export function pveParamRules(vm: ParsedVm): Diagnostic[] {
  const out: Diagnostic[] = [];
  const { nameserver, description } = vm.def;
  if (nameserver !== undefined) {
    const why = nameserverProblem(nameserver);
    if (why) out.push(at(vm, ['nameserver'], `\`nameserver\` ${showValue(nameserver)} ${why}.`));
  }
  if (description !== undefined && description.length > MAX_DESCRIPTION)
    out.push(
      at(
        vm,
        ['description'],
        `\`description\` is ${description.length} characters; Proxmox VE keeps at most ${MAX_DESCRIPTION} of yours.`,
      ),
    );
  return out;
}
