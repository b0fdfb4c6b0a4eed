import pve8Json from './pve-api/pve8-routes.json' with { type: 'json' };
import pve9Json from './pve-api/pve9-routes.json' with { type: 'json' };
import { checkFormat, checkPropertyString } from './formats.js';

/** A parameter as the PVE schema describes it. */
export interface ParamSchema {
  type?: string;
  optional?: number;
  format?:
    | string
    | Record<string, ParamSchema & { alias?: string; keyAlias?: string; default_key?: number }>;
  pattern?: string;
  enum?: string[];
  minimum?: number | string;
  maximum?: number | string;
  maxLength?: number;
  default?: unknown;
  alias?: string;
}
export interface MethodInfo {
  parameters?: { additionalProperties?: number; properties?: Record<string, ParamSchema> };
  permissions?: { check?: unknown[]; user?: string };
}
type RouteTable = Record<string, Record<string, MethodInfo>>;

/** The Proxmox VE major releases the simulator can answer as. */
export type PveMajor = 8 | 9;

/** The served paths of each major's official API schema (trimmed by trim-schema.mjs). */
const routesByMajor: Record<PveMajor, RouteTable> = {
  8: pve8Json,
  9: pve9Json,
};
const tables = new Map<PveMajor, { template: string; parts: string[] }[]>();

/** The major release of a version string (`8.4.14` → 8); throws for one not simulated. */
export function pveMajorOf(version: string): PveMajor {
  const major = Number(/^(\d+)\./.exec(version)?.[1]);
  if (major !== 8 && major !== 9)
    throw new Error(`The simulator answers as Proxmox VE 8 or 9, not version '${version}'.`);
  return major;
}

/** The schema path template and path parameters for a concrete path, or undefined. */
export function matchRoute(
  major: PveMajor,
  p: string,
): { template: string; params: Record<string, string> } | undefined {
  let table = tables.get(major);
  if (!table) {
    table = Object.keys(routesByMajor[major]).map((template) => ({
      template,
      parts: template.split('/'),
    }));
    tables.set(major, table);
  }
  const parts = p.replace(/\/+$/, '').split('/');
  outer: for (const r of table) {
    if (r.parts.length !== parts.length) continue;
    const params: Record<string, string> = {};
    for (let i = 0; i < parts.length; i++) {
      const t = r.parts[i];
      if (t.startsWith('{')) params[t.slice(1, -1)] = decodeURIComponent(parts[i]);
      else if (t !== parts[i]) continue outer;
    }
    return { template: r.template, params };
  }
  return undefined;
}

/** Schema info of one method on a path template, as the given major's schema has it. */
export function methodInfo(
  major: PveMajor,
  template: string,
  method: string,
): MethodInfo | undefined {
  return routesByMajor[major][template]?.[method];
}

/** `net0` → the `net[n]` schema entry. */
function lookup(props: Record<string, ParamSchema>, key: string): ParamSchema | undefined {
  if (props[key]) return props[key];
  const m = /^([a-z]+)(\d+)$/.exec(key);
  return m ? props[`${m[1]}[n]`] : undefined;
}

/** Checks one value against its schema; returns the typed value or throws the message. */
export function checkValue(s: ParamSchema, raw: unknown): string | number {
  if (s.type === 'array')
    return JSON.stringify(Array.isArray(raw) ? raw.map(String) : [String(raw)]);
  if (s.type === 'boolean') {
    if (raw === true || raw === 1 || raw === '1') return 1;
    if (raw === false || raw === 0 || raw === '0') return 0;
    throw new Error(`type check ('boolean') failed - got '${String(raw)}'`);
  }
  if (s.type === 'integer' || s.type === 'number') {
    const str = String(raw);
    const ok =
      s.type === 'integer' ? /^-?\d+$/.test(str) : /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(str);
    if (!ok) throw new Error(`type check ('${s.type}') failed - got '${str}'`);
    const n = Number(str);
    if (s.minimum !== undefined && n < Number(s.minimum))
      throw new Error(`value must have a minimum value of ${s.minimum}`);
    if (s.maximum !== undefined && n > Number(s.maximum))
      throw new Error(`value must have a maximum value of ${s.maximum}`);
    return n;
  }
  if (typeof raw === 'object' && raw !== null)
    throw new Error(`type check ('${s.type}') failed - got object`);
  const str = String(raw);
  if (s.enum && !s.enum.includes(str))
    throw new Error(
      `value '${str}' does not have a value in the enumeration '${s.enum.join(', ')}'`,
    );
  if (s.maxLength !== undefined && str.length > s.maxLength)
    throw new Error(`value may only be ${s.maxLength} characters long`);
  // Perl's `(?^:…)` (a group with default flags) is a plain `(?:…)` group to JavaScript.
  if (s.pattern && !new RegExp(`^(?:${s.pattern.replace(/\(\?\^:/g, '(?:')})$`).test(str))
    throw new Error(`value does not match the regex pattern`);
  if (typeof s.format === 'string') checkFormat(s.format, str);
  else if (s.format) checkPropertyString(s.format, str, checkValue);
  return str;
}

/**
 * Validates request parameters as PVE's JSONSchema layer does. Returns typed values (integers
 * and booleans as numbers, the rest as strings) or per-parameter error messages.
 */
export function validateParams(
  info: MethodInfo,
  input: Record<string, unknown>,
): { values: Record<string, string | number>; errors?: Record<string, string> } {
  const props = info.parameters?.properties ?? {};
  const values: Record<string, string | number> = {};
  const errors: Record<string, string> = {};
  for (const [k, raw] of Object.entries(input)) {
    const s = lookup(props, k);
    if (!s) {
      if (info.parameters?.additionalProperties === 0)
        errors[k] =
          'property is not defined in schema and the schema does not allow additional properties';
      else values[k] = typeof raw === 'number' ? raw : String(raw);
      continue;
    }
    try {
      values[k] = checkValue(s, raw);
    } catch (err) {
      errors[k] = (err as Error).message;
    }
  }
  for (const [k, s] of Object.entries(props)) {
    if (!s.optional && !k.includes('[n]') && !(k in input))
      errors[k] = 'property is missing and it is not optional';
  }
  return Object.keys(errors).length ? { values, errors } : { values };
}

/**
 * The schema of a config key (`net0`, `memory`) from PUT config, for typing stored values. PVE 9's
 * keys are a superset of PVE 8's with the same types, so one lookup serves both.
 */
export function configKeySchema(key: string): ParamSchema | undefined {
  const props =
    routesByMajor[9]['/nodes/{node}/qemu/{vmid}/config']?.PUT?.parameters?.properties ?? {};
  return lookup(props, key);
}
