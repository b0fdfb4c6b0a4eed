import type { Diagnostic } from './diagnostics.js';
import { closest } from './suggest.js';
import type { ErrorObject, SchemaValidator } from './validators.js';
import { positionOf, type PathSegment, type YamlSource } from './yaml-source.js';

const TYPE_NAMES: Record<string, string> = {
  integer: 'a whole number',
  number: 'a number',
  string: 'a string',
  boolean: 'true or false',
  object: 'a mapping (key: value)',
  array: 'a list',
};

/** Keys that must never be in the repository, with where they belong instead. */
const FORBIDDEN_KEYS: Record<string, string> = {
  cipassword:
    'passwords never live in the repository; set CI_CLOUDINIT_PASSWORD in the environment',
  password: 'passwords never live in the repository; set CI_CLOUDINIT_PASSWORD in the environment',
};

/** A value as a short phrase; long strings are cut so a misplaced secret is never echoed whole. */
export function describeValue(v: unknown): string {
  if (v === null || v === undefined) return 'an empty value';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `"${v.length > 24 ? `${v.slice(0, 12)}…` : v}"`;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return typeof v;
}

/** `network.vlan`, `tags[2]`, `disks.scsi0.size`. */
export function pathLabel(path: readonly PathSegment[]): string {
  return path.reduce<string>(
    (acc, seg) => (typeof seg === 'number' ? `${acc}[${seg}]` : acc ? `${acc}.${seg}` : seg),
    '',
  );
}

function pointerToPath(pointer: string, data: unknown): PathSegment[] {
  if (!pointer) return [];
  const out: PathSegment[] = [];
  let cur = data;
  for (const raw of pointer.slice(1).split('/')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur)) {
      out.push(Number(seg));
      cur = cur[Number(seg)] as unknown;
    } else {
      out.push(seg);
      cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[seg] : undefined;
    }
  }
  return out;
}

/** The value at `path` in the document. */
function valueAt(data: unknown, path: PathSegment[]): unknown {
  let cur = data;
  for (const seg of path) {
    cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[seg] : undefined;
  }
  return cur;
}

interface SubSchema {
  'x-hint'?: string;
  properties?: Record<string, unknown>;
}

/** The schema holding the failed keyword, found from the error's schemaPath (`#/properties/…/type`). */
function parentSchemaOf(root: object, schemaPath: string): SubSchema | undefined {
  const segments = schemaPath.replace(/^#\/?/, '').split('/').slice(0, -1);
  let cur: unknown = root;
  for (const raw of segments) {
    const seg = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[seg] : undefined;
  }
  return cur && typeof cur === 'object' ? cur : undefined;
}

/** An Ajv error with its schema and value looked up (what Ajv's `verbose` mode would add). */
interface ExplainedError {
  keyword: string;
  params: ErrorObject['params'];
  message?: string;
  data: unknown;
  parent?: SubSchema;
}

function hintOf(e: ExplainedError): string | undefined {
  return e.parent?.['x-hint'];
}

/** One sentence for one schema error, and the place it points at. */
function explain(
  e: ExplainedError,
  path: PathSegment[],
): { message: string; at: PathSegment[]; key: boolean } {
  const label = pathLabel(path);
  const where = label ? `\`${label}\`` : 'The file';
  switch (e.keyword) {
    case 'additionalProperties': {
      const extra = String((e.params as { additionalProperty: string }).additionalProperty);
      const at = [...path, extra];
      const forbidden = FORBIDDEN_KEYS[extra.toLowerCase()];
      if (forbidden)
        return { message: `\`${extra}\` is not allowed: ${forbidden}.`, at, key: true };
      const props = Object.keys(e.parent?.properties ?? {});
      const inside = label ? ` in \`${label}\`` : '';
      if (!props.length && hintOf(e)) {
        return {
          message: `Unknown key \`${extra}\`${inside}; expected ${hintOf(e)}.`,
          at,
          key: true,
        };
      }
      const guess = closest(extra, props);
      const tail = guess ? `; did you mean \`${guess}\`?` : `; allowed keys: ${props.join(', ')}.`;
      return { message: `Unknown key \`${extra}\`${inside}${tail}`, at, key: true };
    }
    case 'required': {
      const missing = (e.params as { missingProperty: string }).missingProperty;
      const inside = label ? ` in \`${label}\`` : '';
      return {
        message: `Missing required key \`${missing}\`${inside}.`,
        at: path,
        key: path.length > 0,
      };
    }
    case 'type': {
      const want = String((e.params as { type: string }).type);
      const wanted = want
        .split(',')
        .map((t) => TYPE_NAMES[t] ?? t)
        .join(' or ');
      if (!label) {
        return {
          message: `The file must be a mapping of settings (key: value), not ${describeValue(e.data)}.`,
          at: path,
          key: false,
        };
      }
      // YAML 1.1 booleans (yes/no/on/off) are plain strings in YAML 1.2.
      const yaml11 =
        want === 'boolean' && typeof e.data === 'string' && /^(yes|no|on|off|y|n)$/i.test(e.data);
      const hint = yaml11 ? ' (YAML 1.2 reads yes/no/on/off as text: write true or false)' : '';
      return {
        message: `${where} must be ${wanted}, not ${describeValue(e.data)}${hint}.`,
        at: path,
        key: false,
      };
    }
    case 'enum': {
      const allowed = (e.params as { allowedValues: unknown[] }).allowedValues.map(String);
      const guess = typeof e.data === 'string' ? closest(e.data, allowed) : undefined;
      const tail = guess ? ` (did you mean ${guess}?)` : '';
      return {
        message: `${where} must be one of ${allowed.join(', ')}, not ${describeValue(e.data)}${tail}.`,
        at: path,
        key: false,
      };
    }
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum': {
      const limit = (e.params as { limit: number }).limit;
      const words = {
        minimum: 'at least',
        maximum: 'at most',
        exclusiveMinimum: 'more than',
        exclusiveMaximum: 'less than',
      }[e.keyword];
      return {
        message: `${where} must be ${words} ${limit}, not ${describeValue(e.data)}.`,
        at: path,
        key: false,
      };
    }
    case 'minLength': {
      const limit = (e.params as { limit: number }).limit;
      const text = limit === 1 ? 'must not be empty' : `must be at least ${limit} characters long`;
      return { message: `${where} ${text}.`, at: path, key: false };
    }
    case 'maxLength': {
      const limit = (e.params as { limit: number }).limit;
      return {
        message: `${where} must be at most ${limit} characters long, not ${String(e.data).length}.`,
        at: path,
        key: false,
      };
    }
    case 'pattern': {
      const hint = hintOf(e) ?? `text matching ${(e.params as { pattern: string }).pattern}`;
      return {
        message: `${where} must be ${hint}, not ${describeValue(e.data)}.`,
        at: path,
        key: false,
      };
    }
    default:
      return { message: `${where} ${e.message ?? 'is invalid'}.`, at: path, key: false };
  }
}

/** What checking one document against its schema found. */
export interface SchemaCheck {
  /** One per error, at the key or value at fault; empty when the document is valid. */
  diagnostics: Diagnostic[];
  /**
   * Top-level keys whose key or value is at fault (unknown keys included). Removing them from
   * the document leaves one the rules can read safely, so a file with an unknown key still
   * gets its cross-file checks.
   */
  faultyKeys: Set<string>;
}

/**
 * Validates a parsed file against a compiled schema and turns every error into a diagnostic at
 * the key or value at fault.
 */
export function checkSchema(
  { validate, schema }: SchemaValidator,
  source: YamlSource,
  vm?: string,
): SchemaCheck {
  const result: SchemaCheck = { diagnostics: [], faultyKeys: new Set() };
  if (validate(source.data)) return result;
  const seen = new Set<string>();
  for (const e of validate.errors ?? []) {
    const path = pointerToPath(e.instancePath, source.data);
    const { message, at, key } = explain(
      {
        keyword: e.keyword,
        params: e.params,
        message: e.message,
        data: valueAt(source.data, path),
        parent: parentSchemaOf(schema, e.schemaPath),
      },
      path,
    );
    if (at.length) result.faultyKeys.add(String(at[0]));
    const id = `${pathLabel(at)}|${message}`;
    if (seen.has(id)) continue;
    seen.add(id);
    const { line, col } = positionOf(source, at, key ? 'key' : 'value');
    result.diagnostics.push({
      file: source.file,
      line,
      col,
      message,
      ...(vm ? { vm } : {}),
      severity: 'error',
    });
  }
  return result;
}

/** The diagnostics of {@link checkSchema} alone; empty when the document is valid. */
export function schemaDiagnostics(
  validator: SchemaValidator,
  source: YamlSource,
  vm?: string,
): Diagnostic[] {
  return checkSchema(validator, source, vm).diagnostics;
}
