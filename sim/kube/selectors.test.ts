import { describe, expect, it } from 'vitest';
import { ApiError } from './errors.js';
import { BUILTIN } from './resources.js';
import { fieldSelector, labelSelector } from './selectors.js';
import type { KubeObject } from './store.js';

const POD = BUILTIN.find((t) => t.kind === 'Pod')!;
const pod = (name: string, labels: Record<string, string>, nodeName = ''): KubeObject => ({
  metadata: { name, namespace: 'default', labels },
  spec: { nodeName },
  status: { phase: 'Running' },
});
const pods = [
  pod('a', { app: 'web', tier: 'front' }, 'n1'),
  pod('b', { app: 'db' }, 'n2'),
  pod('c', {}),
];
const names = (m: (o: KubeObject) => boolean) => pods.filter(m).map((p) => p.metadata.name);

describe('label selectors (k8s.io/apimachinery/pkg/labels syntax)', () => {
  it('matches equality, inequality, sets and existence, all terms ANDed', () => {
    expect(names(labelSelector('app=web'))).toEqual(['a']);
    expect(names(labelSelector('app==db'))).toEqual(['b']);
    expect(names(labelSelector('app!=web'))).toEqual(['b', 'c']);
    expect(names(labelSelector('app in (web, db)'))).toEqual(['a', 'b']);
    expect(names(labelSelector('app notin (web)'))).toEqual(['b', 'c']);
    expect(names(labelSelector('app,!tier'))).toEqual(['b']);
    expect(names(labelSelector(''))).toEqual(['a', 'b', 'c']);
  });

  it('refuses what it cannot parse with 400', () => {
    expect(() => labelSelector('app in web')).toThrow(ApiError);
  });
});

describe('field selectors', () => {
  it('selects by metadata.name and by the fields pods support', () => {
    expect(names(fieldSelector('metadata.name=b', POD))).toEqual(['b']);
    expect(names(fieldSelector('spec.nodeName=n1', POD))).toEqual(['a']);
    expect(names(fieldSelector('spec.nodeName=', POD))).toEqual(['c']);
    expect(names(fieldSelector('status.phase!=Running', POD))).toEqual([]);
  });

  it('refuses unsupported fields as the API server does', () => {
    expect(() => fieldSelector('spec.foo=x', POD)).toThrow('field label not supported: spec.foo');
  });
});
