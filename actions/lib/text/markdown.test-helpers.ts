// Rendering GitHub Flavored Markdown in tests, with micromark and its GFM extension (CommonMark
// and GFM compliant, as GitHub's cmark-gfm), and the hostile texts every renderer must survive.
import { micromark } from 'micromark';
import { gfm, gfmHtml } from 'micromark-extension-gfm';

/** GitHub Flavored Markdown to HTML, raw HTML allowed as GitHub allows its safe subset. */
export const render = (md: string): string =>
  micromark(md, { allowDangerousHtml: true, extensions: [gfm()], htmlExtensions: [gfmHtml()] });

/** The HTML's text with character references decoded, as a reader sees it. */
export const shown = (html: string): string =>
  html
    .replace(/<[^>]+>/g, '')
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n)))
    .replace(/&#x([0-9a-f]+);/gi, (_, n: string) => String.fromCodePoint(parseInt(n, 16)))
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&');

/** What untrusted text may try: each must render as plain text in a paragraph. */
export const HOSTILE = [
  '</details><details open><summary>pwned</summary>',
  '<img src="https://evil.example/x.png"> <script>alert(1)</script> <!-- hide the rest',
  '![tracker](https://evil.example/t.png) [click me](https://evil.example/login)',
  'ping @octocat and @github/security-team, mail admin@example.com',
  'see https://evil.example/x and www.evil.example and <https://evil.example/y>',
  'fixes #1, GH-2 and octo/repo#3',
  '**bold** _em_ ~~gone~~ `code` $x^2$ a | b \\| c',
  'line one\nline two\r\n| injected | row |\u2028<b>sep</b>',
  '&lt;b&gt;already escaped&lt;/b&gt; &amp; &#64;octocat',
];

/** Tags in rendered HTML, in order ('<p>', '</td>', …). */
export const tags = (html: string): string[] => html.match(/<\/?[a-z][^>]*>/gi) ?? [];

/**
 * True when a reader would see a live @mention or #123 reference: GitHub links them after
 * rendering, everywhere but in code (github/markup#1168: `@name` in backticks is no mention).
 */
export const hasMentionOrReference = (html: string): boolean => {
  const text = shown(html.replace(/<(code|pre)>[\s\S]*?<\/\1>/g, ''));
  return /(^|[^\w`])@[A-Za-z0-9]/.test(text) || /(^|\s|\/\w*)#\d/.test(text);
};
