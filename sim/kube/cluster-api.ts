import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ClusterState, SimNode } from './cluster-state.js';
import { startControllers } from './controllers.js';
import { methodNotAllowed, pathNotFound } from './errors.js';
import { openApiV2 } from './openapi.js';
import { documentMessage } from './protobuf.js';
import { renderNode, versionInfo } from './render.js';
import {
  BUILTIN,
  apiGroup,
  apiGroupList,
  resourceList,
  typesOfCrd,
  type ResourceType,
} from './resources.js';
import { resolve, serveResource } from './rest.js';
import { seedCluster } from './seed.js';
import { ObjectStore, type KubeObject } from './store.js';

const NODE = BUILTIN.find((t) => t.kind === 'Node')!;
const CRD = BUILTIN.find((t) => t.kind === 'CustomResourceDefinition')!;
const LEASE = BUILTIN.find((t) => t.kind === 'Lease')!;

export interface ClusterApiOptions {
  /** Changes kept for watches to resume from; older resourceVersions get 410 Expired. */
  watchHistory?: number;
  /** How often a watch that allows bookmarks gets one. Default 1000 ms. */
  bookmarkMs?: number;
  /** Called after changes settle, to save the cluster. */
  save(): void;
}

/** The Kubernetes API of one cluster: discovery, OpenAPI, and every resource over one store. */
export interface ClusterApi {
  store: ObjectStore;
  types(): ResourceType[];
  /** Renders the simulator's nodes into Node objects (on registration and readiness changes). */
  syncNodes(): void;
  handle(req: IncomingMessage, res: ServerResponse, url: URL, path: string): Promise<void>;
  stop(): void;
}

function send(res: ServerResponse, code: number, body: unknown) {
  const text = JSON.stringify(body);
  res.writeHead(code, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** Builds the API over the cluster's saved objects (or k3s's initial ones for a new cluster). */
export function clusterApi(
  state: ClusterState & { objects?: Array<{ typeKey: string; object: KubeObject }> },
  o: ClusterApiOptions,
): ClusterApi {
  const store = new ObjectStore(state.resourceVersion, o.watchHistory ?? 1000, state.objects ?? []);
  seedCluster(store, state.host, state.port);
  const types = () => [
    ...BUILTIN,
    ...store.list(CRD).flatMap((c) => typesOfCrd(c as Parameters<typeof typesOfCrd>[0])),
  ];
  let saveTimer: NodeJS.Timeout | undefined;
  const persist = () => {
    saveTimer = undefined;
    state.objects = store.dump();
    state.resourceVersion = store.rv;
    o.save();
  };
  const unsubscribe = store.subscribe(() => (saveTimer ??= setTimeout(persist, 50)));
  const stopControllers = startControllers(store, types, state.pki.caPem);
  const readyTimers = new Map<string, NodeJS.Timeout>();

  const syncNode = (n: SimNode, index: number) => {
    const obj = renderNode(n, index) as unknown as KubeObject;
    // The kubelet's heartbeat lease in kube-node-lease (kubectl describe node shows it).
    if (!store.get(LEASE, 'kube-node-lease', n.name))
      store.create(LEASE, {
        metadata: { name: n.name, namespace: 'kube-node-lease' },
        spec: {
          holderIdentity: n.name,
          leaseDurationSeconds: 40,
          renewTime: new Date(n.createdAt).toISOString().replace('Z', '000Z'),
        },
      });
    const old = store.get(NODE, undefined, n.name);
    if (!old) return void store.create(NODE, obj);
    const conds = (x: KubeObject) =>
      JSON.stringify(
        (x.status as { conditions: unknown[] }).conditions.map((c) => ({
          ...(c as object),
          lastHeartbeatTime: 0,
        })),
      );
    if (old.metadata.uid !== n.uid) {
      store.remove(NODE, undefined, n.name);
      return void store.create(NODE, obj);
    }
    if (conds(old) === conds(obj) && JSON.stringify(old.spec) === JSON.stringify(obj.spec)) return;
    store.update(NODE, {
      ...obj,
      metadata: { ...old.metadata, labels: { ...old.metadata.labels, ...obj.metadata.labels } },
    });
  };
  const syncNodes = () => {
    state.nodes.forEach((n, i) => {
      syncNode(n, i);
      clearTimeout(readyTimers.get(n.name));
      const wait = n.readyAt - Date.now();
      if (wait > 0 && n.notReadySince === undefined)
        readyTimers.set(
          n.name,
          setTimeout(() => syncNode(n, i), wait + 5),
        );
    });
    for (const node of store.list(NODE))
      if (!state.nodes.some((n) => n.name === node.metadata.name))
        store.remove(NODE, undefined, node.metadata.name);
  };
  syncNodes();

  const handle = async (req: IncomingMessage, res: ServerResponse, url: URL, p: string) => {
    const method = req.method ?? 'GET';
    const all = types();
    const discovery = (body: unknown) =>
      method === 'GET' ? send(res, 200, body) : Promise.reject(methodNotAllowed());
    if (p === '/version') return discovery(versionInfo(state.version));
    if (p === '/api')
      return discovery({
        kind: 'APIVersions',
        versions: ['v1'],
        serverAddressByClientCIDRs: [
          { clientCIDR: '0.0.0.0/0', serverAddress: `${state.host}:${state.port}` },
        ],
      });
    if (p === '/apis') return discovery(apiGroupList(all));
    if (p === '/api/v1') return discovery(resourceList(all, 'v1'));
    if (p === '/openapi/v2') {
      if (method !== 'GET') throw methodNotAllowed();
      const doc = openApiV2(all, state.version);
      if (!(req.headers.accept ?? '').includes('protobuf')) return send(res, 200, doc);
      const pb = documentMessage(doc);
      // kube-openapi answers the protobuf form as an octet stream; Go's mime parser refuses the '@' type.
      res.writeHead(200, {
        'Content-Type': 'application/octet-stream',
        'Content-Length': pb.length,
      });
      return void res.end(pb);
    }
    const g = /^\/apis\/([^/]+)(?:\/([^/]+))?$/.exec(p);
    if (g) {
      const body = g[2]
        ? all.some((t) => t.group === g[1] && t.version === g[2])
          ? resourceList(all, `${g[1]}/${g[2]}`)
          : undefined
        : apiGroup(all, g[1]);
      if (!body) throw pathNotFound();
      return discovery(body);
    }
    const target = resolve(p, all);
    if (!target) throw pathNotFound();
    await serveResource(
      { store, types, bookmarkMs: o.bookmarkMs ?? 1000, json: send },
      req,
      res,
      url,
      target,
    );
  };
  return {
    store,
    types,
    syncNodes,
    handle,
    stop() {
      stopControllers();
      unsubscribe();
      for (const t of readyTimers.values()) clearTimeout(t);
      if (saveTimer) {
        clearTimeout(saveTimer);
        persist();
      }
    },
  };
}
