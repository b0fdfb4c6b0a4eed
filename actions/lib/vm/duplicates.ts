import type { Diagnostic } from './diagnostics.js';
import type { ParsedVm } from './rules.js';
import type { VmDefinition } from './types.js';
import { positionOf, type PathSegment } from './yaml-source.js';

/** Other places named in full in one message; the rest are counted. */
const NAMED = 3;

/** `vms/a.yaml:3, vms/b.yaml:3 and 998 other files`. */
function othersPhrase(named: string[], more: number): string {
  if (!more)
    return named.length > 1 ? `${named.slice(0, -1).join(', ')} and ${named.at(-1)}` : named[0];
  return `${named.join(', ')} and ${more} other file${more === 1 ? '' : 's'}`;
}

/**
 * Reports a value that appears in several files: one diagnostic in each of those files, naming
 * at most three of the other places and counting the rest. Output and time grow linearly with
 * the number of files (1,000 files sharing one IP used to print 19 MB), and only the first
 * few places are located, so their files are parsed again at most once more.
 */
export function duplicates(
  vms: readonly ParsedVm[],
  what: string,
  where: PathSegment[],
  valueOf: (d: VmDefinition) => string | undefined,
): Diagnostic[] {
  const seen = new Map<string, ParsedVm[]>();
  for (const vm of vms) {
    const v = valueOf(vm.def);
    if (v === undefined) continue;
    const list = seen.get(v);
    if (list) list.push(vm);
    else seen.set(v, [vm]);
  }
  const out: Diagnostic[] = [];
  for (const [value, list] of seen) {
    if (list.length < 2) continue;
    const positions = list.map((vm) => positionOf(vm.source, where));
    const place = (i: number) => `${list[i].file}:${positions[i].line}`;
    list.forEach((vm, i) => {
      const others: string[] = [];
      for (let j = 0; j < list.length && others.length < NAMED; j++)
        if (j !== i) others.push(place(j));
      const more = list.length - 1 - others.length;
      out.push({
        file: vm.file,
        line: positions[i].line,
        col: positions[i].col,
        message: `${what} ${value} is also used by ${othersPhrase(others, more)}; each VM needs its own.`,
        vm: vm.def.name,
        severity: 'error',
      });
    });
  }
  return out;
}
