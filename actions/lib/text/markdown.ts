// Untrusted text (VM names and descriptions from files or the cluster, node names, error
// messages quoting either) in the Markdown that GitHub renders: PR comments, job summaries,
// the drift issue. It must show as the text it is, never become HTML, a link, an image, a
// mention or table structure.

/** Zero-width space: invisible, but breaks GitHub's mention and autolink recognisers. */
const ZWSP = '\u200B';

/**
 * Characters that are syntax inside a line of GitHub Markdown, HTML or a table, written as
 * numeric character references. CommonMark treats a reference as literal text that can never
 * stand for structure (spec, "Entity and numeric character references"), and HTML decodes it
 * the same way, so one escape holds both in Markdown text and inside raw HTML such as
 * `<summary>`; GFM splits table rows on literal `|` only. Characters that are syntax only at
 * the start of a line (`#`, `-`, `1.`) stay: escaped text never starts a line.
 */
const SYNTAX = /[&<>`*_[\]()!|~\\$]/g;

/** C0/C1 controls and Unicode line/paragraph separators: a line break would end a table row. */
// eslint-disable-next-line no-control-regex
const BREAKS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g;

/**
 * Untrusted text as inert inline Markdown: no HTML (`</details>`, `<img>`), no Markdown
 * structure (links, images, emphasis, table pipes, line breaks), no @mention, no #123 issue
 * reference and no autolinked URL. GitHub turns `@name` into a mention after rendering, so
 * neither a backslash nor `&#64;` stops it; a zero-width space after the `@` does
 * (github/markup#1168, openjdk/skara#1548). URLs (`https://`, `www.`) are broken the same way,
 * since GFM's autolink extension also runs on decoded text.
 */
export function escapeMarkdown(text: string): string {
  return (
    text
      .replace(BREAKS, ' ')
      // Mentions and team mentions (@org/team), emails: a ZWSP after '@'.
      .replace(/@(?=[\p{L}\p{N}_-])/gu, `@${ZWSP}`)
      // Autolinks: break "scheme://" and "www." before escaping hides ':'.
      .replace(/:\/\//g, `:${ZWSP}//`)
      .replace(/\bwww\./gi, (m) => `${m.slice(0, 3)}${ZWSP}.`)
      // Issue and pull request references: #123, GH-123, owner/repo#123.
      .replace(/#(?=\d)/g, `#${ZWSP}`)
      .replace(/\b(GH)-(?=\d)/gi, `$1${ZWSP}-`)
      .replace(SYNTAX, (c) => `&#${c.charCodeAt(0)};`)
  );
}

/**
 * Untrusted text as an inline code span: literal, never a mention or link (GitHub leaves code
 * alone), with a backtick fence longer than any run inside (CommonMark code spans).
 */
export function inlineCode(text: string): string {
  const flat = text.replace(BREAKS, ' ');
  const longest = Math.max(0, ...[...flat.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  const pad = /^`|`$|^ .* $/.test(flat) || flat === '' ? ' ' : '';
  return `${fence}${pad}${flat}${pad}${fence}`;
}

/** A label inside a Mermaid block: code blocks decode nothing, so keep only plain name characters. */
export function mermaidLabel(text: string): string {
  return text.replace(/[^\p{L}\p{N}._ -]/gu, '').slice(0, 64);
}
