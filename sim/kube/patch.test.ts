import { describe, expect, it } from 'vitest';
import { ApiError } from './errors.js';
import { jsonPatch, mergePatch, strategicMerge } from './patch.js';

const deployment = {
  metadata: { name: 'web', labels: { app: 'web', tier: 'front' } },
  spec: {
    replicas: 2,
    template: {
      spec: {
        containers: [
          {
            name: 'web',
            image: 'nginx:1.27',
            ports: [{ containerPort: 80 }],
            env: [{ name: 'A', value: '1' }],
          },
          { name: 'sidecar', image: 'busybox' },
        ],
      },
    },
  },
};

describe('strategic merge patch (kubectl apply)', () => {
  // Patch shapes as k8s.io/apimachinery/pkg/util/strategicpatch produces them.
  it('merges containers by name and keeps the ones the patch does not name', () => {
    const out = strategicMerge(deployment, {
      spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:1.28' }] } } },
    }) as typeof deployment;
    expect(out.spec.template.spec.containers.map((c) => `${c.name}=${c.image}`)).toEqual([
      'web=nginx:1.28',
      'sidecar=busybox',
    ]);
    expect(out.spec.template.spec.containers[0].ports).toEqual([{ containerPort: 80 }]);
  });

  it('deletes with null and $patch: delete, and orders by $setElementOrder', () => {
    const out = strategicMerge(deployment, {
      metadata: { labels: { tier: null } },
      spec: {
        template: {
          spec: {
            '$setElementOrder/containers': [{ name: 'sidecar' }, { name: 'web' }],
            containers: [{ name: 'web', env: [{ name: 'A', $patch: 'delete' }] }],
          },
        },
      },
    }) as typeof deployment;
    expect(out.metadata.labels).toEqual({ app: 'web' });
    expect(out.spec.template.spec.containers.map((c) => c.name)).toEqual(['sidecar', 'web']);
    expect(out.spec.template.spec.containers[1].env).toEqual([]);
  });

  it('replaces a map with $patch: replace and keeps only $retainKeys', () => {
    const replaced = strategicMerge({ a: { x: 1, y: 2 } }, { a: { $patch: 'replace', z: 3 } });
    expect(replaced).toEqual({ a: { z: 3 } });
    const retained = strategicMerge(
      { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } },
      { strategy: { $retainKeys: ['type'], type: 'Recreate' } },
    );
    expect(retained).toEqual({ strategy: { type: 'Recreate' } });
  });

  it('merges Service ports by port, lists without a merge key are replaced', () => {
    const svc = {
      spec: {
        ports: [
          { port: 80, name: 'http' },
          { port: 443, name: 'https' },
        ],
        externalIPs: ['a', 'b'],
      },
    };
    const out = strategicMerge(svc, {
      spec: { ports: [{ port: 443, targetPort: 8443 }], externalIPs: ['c'] },
    });
    expect(out).toEqual({
      spec: {
        ports: [
          { port: 80, name: 'http' },
          { port: 443, name: 'https', targetPort: 8443 },
        ],
        externalIPs: ['c'],
      },
    });
  });
});

describe('JSON merge patch (RFC 7386) and JSON patch (RFC 6902)', () => {
  it('merge patch replaces lists whole and deletes with null', () => {
    expect(mergePatch({ a: [1, 2], b: { c: 1, d: 2 } }, { a: [3], b: { c: null } })).toEqual({
      a: [3],
      b: { d: 2 },
    });
  });

  it('applies add, replace, remove, move, copy and test', () => {
    const out = jsonPatch({ spec: { replicas: 1, list: ['a'] } }, [
      { op: 'replace', path: '/spec/replicas', value: 3 },
      { op: 'add', path: '/spec/list/-', value: 'b' },
      { op: 'copy', from: '/spec/replicas', path: '/spec/copied' },
      { op: 'move', from: '/spec/copied', path: '/moved' },
      { op: 'remove', path: '/spec/list/0' },
      { op: 'test', path: '/moved', value: 3 },
    ]);
    expect(out).toEqual({ spec: { replicas: 3, list: ['b'] }, moved: 3 });
  });

  it('refuses a failing test and a missing path with 422', () => {
    const fail = (ops: unknown) => {
      try {
        jsonPatch({ a: 1 }, ops);
      } catch (e) {
        return e instanceof ApiError ? e.code : -1;
      }
      return 0;
    };
    expect(fail([{ op: 'test', path: '/a', value: 2 }])).toBe(422);
    expect(fail([{ op: 'remove', path: '/b/c' }])).toBe(422);
  });
});
