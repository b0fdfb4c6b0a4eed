/** What the API server knows about one resource: its path, kind and verbs. */
export interface ResourceType {
  /** '' for the core group. */
  group: string;
  version: string;
  /** Plural, as in the URL. */
  resource: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  shortNames?: string[];
  /** Subresources served (`status`). */
  subresources?: string[];
  /** Printer columns of a CustomResourceDefinition version. */
  columns?: Array<{ name: string; type: string; jsonPath: string; priority?: number }>;
  /** The CRD's openAPIV3Schema, when it has one. */
  schema?: Record<string, unknown>;
  categories?: string[];
  /** Verbs when not all of VERBS (reviews are create-only). */
  verbs?: string[];
}

export const apiVersionOf = (t: ResourceType) => (t.group ? `${t.group}/${t.version}` : t.version);

/** Verbs every served resource answers. */
export const VERBS = [
  'create',
  'delete',
  'deletecollection',
  'get',
  'list',
  'patch',
  'update',
  'watch',
];

const core = (
  resource: string,
  kind: string,
  namespaced: boolean,
  shortNames?: string[],
  subresources?: string[],
): ResourceType => ({
  group: '',
  version: 'v1',
  resource,
  singular: kind.toLowerCase(),
  kind,
  namespaced,
  shortNames,
  subresources,
});

const inGroup = (group: string, t: ResourceType): ResourceType => ({ ...t, group });
/** In the `all` category, which `kubectl get all` expands to. */
const inAll = (t: ResourceType): ResourceType => ({ ...t, categories: ['all'] });

/** The built-in resources this simulator stores and serves. */
export const BUILTIN: ResourceType[] = [
  core('namespaces', 'Namespace', false, ['ns'], ['status']),
  core('nodes', 'Node', false, ['no'], ['status']),
  inAll(core('pods', 'Pod', true, ['po'], ['status'])),
  inAll(core('services', 'Service', true, ['svc'], ['status'])),
  core('endpoints', 'Endpoints', true, ['ep']),
  core('configmaps', 'ConfigMap', true, ['cm']),
  core('secrets', 'Secret', true),
  core('serviceaccounts', 'ServiceAccount', true, ['sa']),
  core('events', 'Event', true, ['ev']),
  inAll(inGroup('apps', core('deployments', 'Deployment', true, ['deploy'], ['status', 'scale']))),
  inAll(inGroup('apps', core('replicasets', 'ReplicaSet', true, ['rs'], ['status', 'scale']))),
  inGroup(
    'apiextensions.k8s.io',
    core(
      'customresourcedefinitions',
      'CustomResourceDefinition',
      false,
      ['crd', 'crds'],
      ['status'],
    ),
  ),
  inGroup('coordination.k8s.io', core('leases', 'Lease', true)),
  inGroup('rbac.authorization.k8s.io', core('clusterroles', 'ClusterRole', false)),
  inGroup('rbac.authorization.k8s.io', core('clusterrolebindings', 'ClusterRoleBinding', false)),
  inGroup('rbac.authorization.k8s.io', core('roles', 'Role', true)),
  inGroup('rbac.authorization.k8s.io', core('rolebindings', 'RoleBinding', true)),
  // `kubectl auth can-i` asks this; every authenticated user here is cluster-admin.
  {
    ...inGroup(
      'authorization.k8s.io',
      core('selfsubjectaccessreviews', 'SelfSubjectAccessReview', false),
    ),
    verbs: ['create'],
  },
];

interface CrdLike {
  spec?: {
    group?: string;
    scope?: string;
    names?: {
      plural?: string;
      singular?: string;
      kind?: string;
      shortNames?: string[];
      categories?: string[];
    };
    versions?: Array<{
      name?: string;
      served?: boolean;
      schema?: { openAPIV3Schema?: Record<string, unknown> };
      subresources?: { status?: unknown };
      additionalPrinterColumns?: ResourceType['columns'];
    }>;
  };
}

/** The resources a CustomResourceDefinition adds: one per served version. */
export function typesOfCrd(crd: CrdLike): ResourceType[] {
  const s = crd.spec ?? {};
  const n = s.names ?? {};
  if (!s.group || !n.plural || !n.kind) return [];
  return (s.versions ?? [])
    .filter((v) => v.served !== false && v.name)
    .map((v) => ({
      group: s.group!,
      version: v.name!,
      resource: n.plural!,
      singular: n.singular ?? n.kind!.toLowerCase(),
      kind: n.kind!,
      namespaced: s.scope !== 'Cluster',
      shortNames: n.shortNames,
      categories: n.categories,
      subresources: v.subresources?.status ? ['status'] : undefined,
      columns: v.additionalPrinterColumns,
      schema: v.schema?.openAPIV3Schema,
    }));
}

/** `/api/v1` or `/apis/<group>/<version>`: the APIResourceList of one group version. */
export function resourceList(types: ResourceType[], groupVersion: string) {
  const resources = types
    .filter((t) => apiVersionOf(t) === groupVersion)
    .flatMap((t) => [
      {
        name: t.resource,
        singularName: t.singular,
        namespaced: t.namespaced,
        kind: t.kind,
        verbs: t.verbs ?? VERBS,
        ...(t.shortNames?.length ? { shortNames: t.shortNames } : {}),
        ...(t.categories?.length ? { categories: t.categories } : {}),
      },
      ...(t.subresources ?? []).map((sub) => ({
        name: `${t.resource}/${sub}`,
        singularName: '',
        namespaced: t.namespaced,
        ...(sub === 'scale'
          ? { group: 'autoscaling', version: 'v1', kind: 'Scale' }
          : { kind: t.kind }),
        verbs: ['get', 'patch', 'update'],
      })),
    ]);
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion, resources };
}

/** One APIGroup entry: its versions, the first one preferred. */
export function apiGroup(types: ResourceType[], group: string) {
  const versions = [...new Set(types.filter((t) => t.group === group).map((t) => t.version))].map(
    (version) => ({ groupVersion: `${group}/${version}`, version }),
  );
  return versions.length
    ? { kind: 'APIGroup', apiVersion: 'v1', name: group, versions, preferredVersion: versions[0] }
    : undefined;
}

/** `/apis`: every named group. */
export function apiGroupList(types: ResourceType[]) {
  const groups = [...new Set(types.map((t) => t.group).filter(Boolean))];
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: groups.map((g) => {
      const { name, versions, preferredVersion } = apiGroup(types, g)!;
      return { name, versions, preferredVersion };
    }),
  };
}
