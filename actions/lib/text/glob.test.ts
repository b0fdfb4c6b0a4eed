import { describe, expect, it } from 'vitest';
import { globToRegExp, matchesGlob } from './glob.js';

describe('matchesGlob', () => {
  it('path: matches * within a segment, ** across, ? one character, the rest literally', () => {
    expect(matchesGlob('old-web.yaml', 'old-*.yaml', 'path')).toBe(true);
    expect(matchesGlob('old-web.yml', 'old-*.yaml', 'path')).toBe(false);
    expect(matchesGlob('a/b.yaml', '*.yaml', 'path')).toBe(false);
    expect(matchesGlob('a/b.yaml', '**/*.yaml', 'path')).toBe(true);
    expect(matchesGlob('b.yaml', '**/*.yaml', 'path')).toBe(true);
    expect(matchesGlob('vm1.yaml', 'vm?.yaml', 'path')).toBe(true);
    expect(matchesGlob('vmx1.yaml', 'vm?.yaml', 'path')).toBe(false);
    expect(matchesGlob('talos-prod-cp01', 'talos-*-cp*', 'path')).toBe(true);
    expect(matchesGlob('aXyaml', 'a.yaml', 'path')).toBe(false);
  });

  it('name: * matches any run of characters and the whole name must match', () => {
    expect(matchesGlob('k8s-foo', 'k8s-*', 'name')).toBe(true);
    expect(matchesGlob('k8s-', 'k8s-*', 'name')).toBe(true);
    expect(matchesGlob('xk8s-foo', 'k8s-*', 'name')).toBe(false);
    expect(matchesGlob('k8s', 'k8s-*', 'name')).toBe(false);
    expect(matchesGlob('talos-a-cp1', 'talos-*-cp*', 'name')).toBe(true);
    expect(matchesGlob('talos-cp1', 'talos-*-cp*', 'name')).toBe(false);
    expect(matchesGlob('axb1', 'a.b*', 'name')).toBe(false);
  });

  it('name: * crosses / and newlines, ? is literal (Vault bound_claims globs)', () => {
    expect(matchesGlob('repo:o/r:ref:refs/heads/main', 'repo:o/*:ref:*', 'name')).toBe(true);
    expect(matchesGlob('a\nb', 'a*b', 'name')).toBe(true);
    expect(matchesGlob('vm1', 'vm?', 'name')).toBe(false);
    expect(matchesGlob('vm?', 'vm?', 'name')).toBe(true);
  });

  it('ssh: * and ? are wildcards, case is ignored, [host]:port is literal', () => {
    expect(matchesGlob('Node1.Example', '*.example', 'ssh')).toBe(true);
    expect(matchesGlob('node1', 'node?', 'ssh')).toBe(true);
    expect(matchesGlob('node12', 'node?', 'ssh')).toBe(false);
    expect(matchesGlob('[10.0.0.1]:2222', '[10.0.0.1]:2222', 'ssh')).toBe(true);
    expect(matchesGlob('1', '[10.0.0.1]:2222', 'ssh')).toBe(false);
  });

  it('keeps one compiled expression per dialect', () => {
    expect(globToRegExp('a*', 'path')).toBe(globToRegExp('a*', 'path'));
    expect(globToRegExp('a*', 'path')).not.toBe(globToRegExp('a*', 'name'));
  });
});
