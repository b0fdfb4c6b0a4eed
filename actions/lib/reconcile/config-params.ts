import type { Params } from '../proxmox/transport.js';
import type { VmSpec } from '../vm/types.js';
import { composeDescription } from './description.js';
import { desiredNet0, gib } from './diff.js';
import type { FieldChange } from './plan-types.js';
import type { VmConfigState } from './snapshot-types.js';

/**
 * PUT .../config parameters that turn `cfg` into `spec` for the given changed fields. A field
 * whose new value is absent goes into `delete`. `sshkeys` is percent-encoded with %20
 * (encodeURIComponent), as Proxmox requires; the form layer encodes it once more.
 */
export function configParams(spec: VmSpec, cfg: VmConfigState, changes: FieldChange[]): Params {
  const params: Params = {};
  const del: string[] = [];
  const set = (key: string, value: string | number | undefined) => {
    if (value === undefined || value === '') del.push(key);
    else params[key] = value;
  };
  for (const c of changes) {
    switch (c.field) {
      case 'cores':
      case 'sockets':
      case 'memory':
        params[c.field] = spec[c.field];
        break;
      case 'cpu':
        params.cpu = spec.cpuType;
        break;
      case 'net0':
        params.net0 = desiredNet0(spec, cfg.net0?.mac);
        break;
      case 'agent':
        params.agent = spec.agent ? '1' : '0';
        break;
      case 'onboot':
        params.onboot = spec.onboot ? 1 : 0;
        break;
      case 'tags':
        params.tags = spec.tags.join(';');
        break;
      case 'description':
        params.description = composeDescription(spec.description, {
          template: cfg.template ?? spec.template,
          fullClone: cfg.fullClone ?? spec.fullClone,
          // Still the same boot: a new note must not cost the next plan an agent probe.
          agentOk: cfg.agentOk,
          owner: cfg.owner,
          building: cfg.building,
        });
        break;
      case 'ipconfig0':
        set('ipconfig0', spec.ipconfig0);
        break;
      case 'nameserver':
        set('nameserver', spec.nameserver);
        break;
      case 'ciuser':
        set('ciuser', spec.ciuser);
        break;
      case 'sshkeys':
        set('sshkeys', spec.sshkeys ? encodeSshKeys(spec.sshkeys) : undefined);
        break;
      default: {
        const disk = spec.disks.find((d) => d.slot === c.field);
        if (disk) params[disk.slot] = `${disk.storage}:${gib(disk.sizeBytes)}`;
      }
    }
  }
  if (del.length) params.delete = del.join(',');
  return params;
}

/** authorized_keys text as Proxmox takes it: one key a line, percent-encoded with %20. */
export function encodeSshKeys(keys: string): string {
  const text = keys
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join('\n');
  return encodeURIComponent(text);
}
