import { stringify } from 'yaml';

/**
 * The OpenAPI v2 document in gnostic's protobuf form (openapi.v2.Document of
 * google/gnostic openapiv2/OpenAPIv2.proto), which kubectl asks /openapi/v2 for with
 * `Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf` and cannot do without
 * for validation. Only what a schema document needs is encoded: swagger, info, definitions.
 */
type Schema = Record<string, unknown>;

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n > 127) {
    out.push((n & 127) | 128);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Buffer.from(out);
}

/** Field `num` as a length-delimited value (strings and embedded messages: wire type 2). */
const bytes = (num: number, b: Buffer) =>
  Buffer.concat([varint((num << 3) | 2), varint(b.length), b]);
const str = (num: number, s: string) => bytes(num, Buffer.from(s, 'utf8'));
const bool = (num: number, v: boolean) => Buffer.concat([varint(num << 3), varint(v ? 1 : 0)]);

/** NamedAny { name = 1; Any value = 2 }, Any { string yaml = 2 }: how vendor extensions travel. */
const namedAny = (name: string, value: unknown) =>
  Buffer.concat([str(1, name), bytes(2, str(2, stringify(value)))]);
/** NamedSchema { name = 1; Schema value = 2 }. */
const namedSchema = (name: string, s: Schema) =>
  Buffer.concat([str(1, name), bytes(2, schemaMessage(s))]);

/** openapi.v2.Schema: _ref 1, format 2, description 4, required 19, additionalProperties 21, type 22, items 23, properties 25, vendor_extension 31. */
export function schemaMessage(s: Schema): Buffer {
  const parts: Buffer[] = [];
  if (typeof s.$ref === 'string') parts.push(str(1, s.$ref));
  if (typeof s.format === 'string') parts.push(str(2, s.format));
  if (typeof s.description === 'string') parts.push(str(4, s.description));
  for (const r of (s.required as string[] | undefined) ?? []) parts.push(str(19, r));
  if (s.additionalProperties !== undefined)
    parts.push(
      bytes(
        21,
        typeof s.additionalProperties === 'boolean'
          ? bool(2, s.additionalProperties)
          : bytes(1, schemaMessage(s.additionalProperties as Schema)),
      ),
    );
  if (typeof s.type === 'string') parts.push(bytes(22, str(1, s.type)));
  if (s.items) parts.push(bytes(23, bytes(1, schemaMessage(s.items as Schema))));
  if (s.properties)
    parts.push(
      bytes(
        25,
        Buffer.concat(
          Object.entries(s.properties as Record<string, Schema>).map(([k, v]) =>
            bytes(1, namedSchema(k, v)),
          ),
        ),
      ),
    );
  for (const [k, v] of Object.entries(s))
    if (k.startsWith('x-')) parts.push(bytes(31, namedAny(k, v)));
  return Buffer.concat(parts);
}

/**
 * A path's PATCH operation (PathItem.patch = 8): its x-kubernetes-group-version-kind
 * (Operation.vendor_extension = 13) and query parameters (Operation.parameters = 8 →
 * ParametersItem.parameter 1 → Parameter.non_body_parameter 2 → query_parameter_sub_schema 3
 * with in 2, name 4, type 6). kubectl looks for `dryRun` here before `diff` or `--dry-run=server`.
 */
function pathItem(op: PatchOperation): Buffer {
  const query = (name: string) =>
    bytes(
      8,
      bytes(
        1,
        bytes(2, bytes(3, Buffer.concat([str(2, 'query'), str(4, name), str(6, 'string')]))),
      ),
    );
  const operation = Buffer.concat([
    ...op.parameters.filter((p) => p.in === 'query').map((p) => query(p.name)),
    bytes(13, namedAny('x-kubernetes-group-version-kind', op['x-kubernetes-group-version-kind'])),
  ]);
  return bytes(8, operation);
}

/** A PATCH operation in swagger form (only what kubectl reads of it). */
export interface PatchOperation {
  'x-kubernetes-group-version-kind': { group: string; version: string; kind: string };
  parameters: Array<{ name: string; in: string; type: string; uniqueItems?: boolean }>;
  responses: Record<string, { description: string }>;
}

/** openapi.v2.Document: swagger 1, info 2 (title 1, version 2), paths 8 (path 2), definitions 9. */
export function documentMessage(doc: {
  swagger: string;
  info: { title: string; version: string };
  paths: Record<string, { patch: PatchOperation }>;
  definitions: Record<string, Schema>;
}): Buffer {
  const paths = Object.entries(doc.paths).map(([p, item]) =>
    bytes(2, Buffer.concat([str(1, p), bytes(2, pathItem(item.patch))])),
  );
  return Buffer.concat([
    str(1, doc.swagger),
    bytes(2, Buffer.concat([str(1, doc.info.title), str(2, doc.info.version)])),
    bytes(8, Buffer.concat(paths)),
    bytes(
      9,
      Buffer.concat(Object.entries(doc.definitions).map(([k, v]) => bytes(1, namedSchema(k, v)))),
    ),
  ]);
}
