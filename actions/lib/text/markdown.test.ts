import { describe, expect, it } from 'vitest';
import { escapeMarkdown, inlineCode, mermaidLabel } from './markdown.js';
import { HOSTILE, render, shown } from './markdown.test-helpers.js';

describe('escapeMarkdown', () => {
  it.each(HOSTILE)('renders %j as the text itself, with no tag, link, image or mention', (text) => {
    const html = render(`Note: ${escapeMarkdown(text)}`);
    // One paragraph, nothing else: no HTML from the text, no <a>, <img>, <del>, <code>, <table>.
    expect(html.match(/<\/?[a-z][^>]*>/gi)).toEqual(['<p>', '</p>']);
    const seen = shown(html).replace(/\u200B/g, '');
    // A reader sees the original text, line breaks flattened to spaces.
    expect(seen).toBe(`Note: ${text.replace(/[\r\n\u2028]+/g, ' ')}`);
    // GitHub's post-render mention and reference recognisers find nothing to link.
    expect(shown(html)).not.toMatch(/(^|[^\w`])@[A-Za-z0-9]/);
    expect(shown(html)).not.toMatch(/(^|\s|\/\w*)#\d/);
  });

  it('keeps a table row a row when a cell holds pipes and line breaks', () => {
    const html = render(
      `| VM | Description |\n|---|---|\n| web | ${escapeMarkdown('a | b\n| c | d |')} |`,
    );
    expect(html.match(/<td>/g)).toHaveLength(2);
    expect(html.match(/<tr>/g)).toHaveLength(2);
  });

  it('holds inside raw HTML such as a <summary>, where backslash escapes do not apply', () => {
    const html = render(
      `<details><summary>${escapeMarkdown('x</summary></details><img src=x>')}: 1 setting</summary>\n\nbody\n\n</details>`,
    );
    expect(html.match(/<details>/g)).toHaveLength(1);
    expect(html.match(/<\/details>/g)).toHaveLength(1);
    expect(html).not.toMatch(/<img/);
  });
});

describe('inlineCode', () => {
  it('fences text holding backticks so it cannot close the span early', () => {
    for (const t of ['a`b', '``x``', '`', 'k8s-demo', '@octocat <b>']) {
      const html = render(`Host ${inlineCode(t)} ok`);
      expect(html.match(/<code>/g), t).toHaveLength(1);
      expect(shown(html), t).toBe(`Host ${t} ok`);
    }
  });
});

describe('mermaidLabel', () => {
  it('keeps only name characters, so a node name cannot close the code fence', () => {
    expect(mermaidLabel('pve1')).toBe('pve1');
    expect(mermaidLabel('pve"]\n```\n<img src=x>')).toBe('pveimg srcx');
  });
});
