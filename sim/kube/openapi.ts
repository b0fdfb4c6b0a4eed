import { any, meta, SPECS, str, type S } from './openapi-schemas.js';
import type { PatchOperation } from './protobuf.js';
import type { ResourceType } from './resources.js';

/**
 * The OpenAPI v2 document (`kubectl apply` validates against it): the built-in kinds'
 * schemas, each CustomResourceDefinition's own, and the PATCH paths naming `dryRun`.
 */
/** A CRD's openAPIV3Schema as v2 validation reads it: structure only, open where it says so. */
function fromCrd(s: S | undefined): S {
  if (!s || s['x-kubernetes-preserve-unknown-fields'] || s['x-kubernetes-int-or-string'])
    return any;
  const out: S = {};
  if (typeof s.type === 'string') out.type = s.type;
  if (s.properties)
    out.properties = Object.fromEntries(
      Object.entries(s.properties as Record<string, S>).map(([k, v]) => [k, fromCrd(v)]),
    );
  if (s.items && typeof s.items === 'object') out.items = fromCrd(s.items as S);
  if (s.additionalProperties && typeof s.additionalProperties === 'object')
    out.additionalProperties = fromCrd(s.additionalProperties as S);
  if (Array.isArray(s.required)) out.required = s.required;
  return out;
}

const defName = (t: ResourceType) => {
  const g = t.group ? t.group.split('.').reverse().join('.') : 'io.k8s.api.core';
  const prefix = t.group === 'apps' ? 'io.k8s.api.apps' : t.group === '' ? 'io.k8s.api.core' : g;
  return `${prefix}.${t.version}.${t.kind}`;
};

/** The swagger 2.0 document served at /openapi/v2. */
export function openApiV2(types: ResourceType[], version: string) {
  const definitions: Record<string, S> = {
    'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta': meta,
  };
  for (const t of types) {
    const own = t.schema
      ? (fromCrd(t.schema).properties as Record<string, S> | undefined)
      : SPECS[t.kind];
    if (!own && !t.schema) continue;
    definitions[defName(t)] = {
      type: 'object',
      properties: { ...own, apiVersion: str, kind: str, metadata: meta },
      'x-kubernetes-group-version-kind': [{ group: t.group, kind: t.kind, version: t.version }],
    };
  }
  // Each resource's PATCH, carrying its kind and the `dryRun` parameter (server-side dry run
  // is served). `fieldValidation` is left out: kubectl then validates on its side, as intended.
  const paths: Record<string, { patch: PatchOperation }> = {};
  for (const t of types) {
    const base = t.group ? `/apis/${t.group}/${t.version}` : '/api/v1';
    const p = `${base}${t.namespaced ? '/namespaces/{namespace}' : ''}/${t.resource}/{name}`;
    paths[p] = {
      patch: {
        'x-kubernetes-group-version-kind': { group: t.group, kind: t.kind, version: t.version },
        parameters: ['dryRun', 'fieldManager'].map((name) => ({
          name,
          in: 'query',
          type: 'string',
          uniqueItems: true,
        })),
        responses: { '200': { description: 'OK' } },
      },
    };
  }
  return { swagger: '2.0', info: { title: 'Kubernetes', version }, paths, definitions };
}
