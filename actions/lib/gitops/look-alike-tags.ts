import { escapeInvisible } from '../vm/show-value.js';

/**
 * Letters that look like those of `ansible` (Unicode's confusables for Latin a, n, s, i, b, l,
 * e: Cyrillic, Greek, Armenian and IPA forms), after NFKC has already folded the fullwidth
 * and mathematical ones (`ａ`, `𝐚`) into ASCII.
 */
const CONFUSABLES: Record<string, string> = {
  а: 'a',
  ɑ: 'a',
  α: 'a',
  ո: 'n',
  ѕ: 's',
  ꜱ: 's',
  і: 'i',
  ı: 'i',
  ι: 'i',
  ӏ: 'l',
  ǀ: 'l',
  '1': 'l',
  ƅ: 'b',
  ь: 'b',
  е: 'e',
  ҽ: 'e',
  ε: 'e',
};
/** Brackets that look like `[` and NFKC leaves alone. */
const BRACKETS = new Set(['[', '⟦', '【', '〔', '﹝', '⁅', '〚', '⦋', '⦍', '⦏']);
const WINDOW = 48;

/** How a run of text reads to a person: NFKC, no spaces or invisible marks, confusables folded. */
function skeleton(text: string): string {
  let out = '';
  for (const c of text.normalize('NFKC').toLowerCase()) {
    if (/[\s\p{Cf}]/u.test(c)) continue;
    out += BRACKETS.has(c) ? '[' : (CONFUSABLES[c] ?? c);
  }
  return out;
}

/** A snippet as read: invisible marks and every non-ASCII character shown as `\u{…}`. */
export function showTagText(text: string): string {
  return escapeInvisible(text).replace(
    /[^\x20-\x7e]/gu,
    (c) => `\\u{${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}}`,
  );
}

/**
 * Text that a reader takes for an `[ansible NAME]` tag but is not one: fullwidth or other
 * look-alike brackets (`［ansible x］`), a Cyrillic `а` in `ansible`, spaces or invisible marks
 * after the bracket (`[ ansible x]`). Exact `[ansible` (any case) is left to `extractTags`,
 * which refuses or accepts it. Each result is the snippet as read, escaped.
 */
export function findLookAlikeTags(text: string): string[] {
  const out: string[] = [];
  const chars = [...text];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i];
    if (!BRACKETS.has(c) && c.normalize('NFKC') !== '[') continue;
    const window = chars.slice(i, i + WINDOW).join('');
    if (/^\[ansible/i.test(window) || !skeleton(window).startsWith('[ansible')) continue;
    const line = window.split('\n', 1)[0];
    const close = [...line].findIndex((x, j) => j > 0 && x.normalize('NFKC') === ']');
    out.push(showTagText(close < 0 ? line : [...line].slice(0, close + 1).join('')));
  }
  return out;
}
