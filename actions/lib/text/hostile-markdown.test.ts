// Every Markdown GitHub shows from this tool (PR comment and drift issue: renderPlanMarkdown;
// job summaries: renderApplyMarkdown, validationSummary, publishSummary) rendered with
// hostile VM descriptions, names, node names and error texts: none may become HTML, a link,
// an image, a mention or a second <details>, and each must still be readable.
import { describe, expect, it } from 'vitest';
import { mergeConfig } from '../config/load.js';
import { publishSummary } from '../github/kubeconfig-publish-step.js';
import { validationSummary } from '../github/validate-summary.js';
import { snapshot, spec, vmOf } from '../reconcile/fixtures.test-helpers.js';
import { plan as makePlan } from '../reconcile/plan.js';
import { renderApplyMarkdown } from '../reconcile/render-apply.js';
import { renderPlanMarkdown } from '../reconcile/render-markdown.js';
import type { Repository } from '../vm/load.js';
import { hasMentionOrReference, HOSTILE, render, shown, tags } from './markdown.test-helpers.js';

const ALL = HOSTILE.join(' ');

/** No tag the hostile text could have brought: only the structure the renderer writes. */
function expectInert(html: string) {
  expect(html).not.toMatch(/<(img|a|script|b|del|!--)[\s>]/i);
  expect(tags(html).filter((t) => /^<details/.test(t))).toHaveLength(
    tags(html).filter((t) => t === '</details>').length,
  );
  expect(html).not.toContain('pwned</summary>');
  expect(hasMentionOrReference(html)).toBe(false);
}

/** The text a reader sees holds `text` (ZWSPs aside, line breaks as spaces). */
const readable = (html: string, text: string) =>
  expect(shown(html).replace(/\u200B/g, '')).toContain(text.replace(/[\r\n\u2028]+/g, ' '));

function hostilePlan() {
  const p = makePlan(
    [spec('web', { description: ALL }), spec('new-1')],
    snapshot([vmOf(spec('web'), 100)]),
    { prune: false },
  );
  p.errors.push({ vm: 'web', message: `vms/web.yaml: ${HOSTILE[0]} ${HOSTILE[3]}` });
  p.findings.push({ level: 'warning', message: HOSTILE[1] });
  p.capacity[0].node = 'pve"]\n```\n<img src=x>';
  return p;
}

describe('the plan comment, summary and drift issue (renderPlanMarkdown)', () => {
  it('shows a hostile description, error and finding as text', () => {
    const html = render(renderPlanMarkdown(hostilePlan()));
    expectInert(html);
    // Exactly the one collapsible diff of the update, closed where the renderer closes it.
    expect(tags(html).filter((t) => t === '<details>')).toHaveLength(1);
    readable(html, HOSTILE[0]);
    readable(html, HOSTILE[4]);
    // The Mermaid fence is not broken by a node name.
    expect(html.match(/<pre>/g)).toHaveLength(1);
  });
});

describe('the apply summary (renderApplyMarkdown)', () => {
  it('shows hostile failures, hosts and messages as text', () => {
    const plan = hostilePlan();
    const html = render(
      renderApplyMarkdown({
        plan,
        dryRun: false,
        done: [{ vm: 'web', actions: [HOSTILE[2]], seconds: 1 }],
        failed: [{ vm: 'web', error: HOSTILE.join('\n'), rolledBack: false }],
        newHosts: [{ name: 'new-1', vmid: 101, node: '<b>pve1</b>', ip: '@octocat', new: true }],
        pendingReboot: ['web`<img src=x>`'],
        held: [{ vm: HOSTILE[4], reason: HOSTILE[1] }],
        message: `Applied; ${HOSTILE[3]}`,
      }),
    );
    expectInert(html);
    readable(html, HOSTILE[5]);
    // The failure stays one table row however many lines its error has.
    expect(html).toMatch(/<td>web<\/td>\s*<td>[^<]*<\/td>\s*<td>no<\/td>/);
  });
});

describe('the validate summary (validationSummary)', () => {
  it('shows a hostile file name and error as text', () => {
    const repo: Repository = {
      config: mergeConfig(),
      vms: [],
      excluded: [],
      files: ['vms/`<img src=x>`@octocat.yaml'],
      diagnostics: [
        {
          file: 'vms/`<img src=x>`@octocat.yaml',
          line: 1,
          col: 1,
          message: HOSTILE.join('\n'),
          vm: '@octocat',
          severity: 'error',
        },
      ],
    };
    const html = render(validationSummary(repo));
    expectInert(html);
    readable(html, 'vms/`<img src=x>`@octocat.yaml');
    expect(html.match(/<tr>/g)).toHaveLength(2);
  });
});

describe('the kubeconfig publish summary (publishSummary)', () => {
  it('shows hostile names and reasons as text', () => {
    const html = render(
      publishSummary(
        { published: ['k8s`<img src=x>`'], skipped: [{ name: '@octocat', reason: HOSTILE[2] }] },
        { mount: 'kv', path: 'cluster-secret-store/secrets/KUBECONFIG', key: 'KUBECONFIG' },
      ),
    );
    expectInert(html);
    readable(html, HOSTILE[2]);
  });
});
