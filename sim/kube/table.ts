import type { ResourceType } from './resources.js';
import type { KubeObject } from './store.js';
import { age, COLUMNS, name, type Col } from './table-columns.js';

/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-return -- cells read loosely typed objects: objects are JSON of many kinds */
/** `.spec.size`-style JSONPath of a CRD printer column (simple dotted paths only). */
const byPath = (path: string) => (o: any) =>
  path
    .replace(/^\./, '')
    .split('.')
    .reduce((v, k) => v?.[k], o);

function columnsOf(t: ResourceType): Col[] {
  if (COLUMNS[t.kind] && !t.columns) return COLUMNS[t.kind];
  if (!t.columns?.length) return [name, age];
  const cols: Col[] = [
    name,
    ...t.columns.map((c): Col => [c.name, c.type, c.priority ?? 0, byPath(c.jsonPath)]),
  ];
  return t.columns.some((c) => c.name === 'Age') ? cols : [...cols, age];
}

/** Metadata of a row's object, as `includeObject=Metadata` (the default) sends it. */
const partial = (o: KubeObject) => ({
  kind: 'PartialObjectMetadata',
  apiVersion: 'meta.k8s.io/v1',
  metadata: o.metadata,
});

/**
 * A `meta.k8s.io/v1` Table for `Accept: application/json;as=Table;…`, which `kubectl get`
 * asks for; `withColumns` false leaves out the definitions (later events of a watch).
 */
export function toTable(
  t: ResourceType,
  objs: KubeObject[],
  rv: string,
  includeObject = 'Metadata',
  withColumns = true,
) {
  const cols = columnsOf(t);
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion: rv },
    columnDefinitions: withColumns
      ? cols.map(([n, type, priority]) => ({
          name: n,
          type,
          format: n === 'Name' ? 'name' : '',
          description: n === 'Name' ? 'Name must be unique within a namespace.' : n,
          priority,
        }))
      : null,
    rows: objs.map((o) => ({
      cells: cols.map(([, , , cell]) => cell(o) ?? ''),
      object: includeObject === 'None' ? undefined : includeObject === 'Object' ? o : partial(o),
    })),
  };
}
