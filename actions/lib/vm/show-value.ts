/**
 * How a value read from a file or a commit is shown in an error: exactly as read, with every
 * character a terminal or a browser would not show (controls, zero-width and bidirectional
 * marks, line separators, spaces other than U+0020) written as `\u{…}`. A value that "looks
 * valid" in an error then shows why it is not.
 */

// Cc controls, Cf format (zero-width, bidi), Zl/Zp separators, Zs spaces other than ' ',
// the Hangul fillers and variation selectors that render as nothing.
const INVISIBLE =
  /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\u3164\uffa0\p{Variation_Selector}]|\u115f|\u1160/gu;

/**
 * `text` with every invisible character written as `\u{hex}`; with `keepNewlines`, line
 * breaks stay (for whole messages that may hold several lines of a server's answer).
 */
export function escapeInvisible(text: string, o: { keepNewlines?: boolean } = {}): string {
  return text.replace(INVISIBLE, (c) =>
    o.keepNewlines && c === '\n'
      ? c
      : `\\u{${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}}`,
  );
}

/** A value quoted for a message: backquoted, invisible characters escaped, cut at `max`. */
export function showValue(value: string, max = 80): string {
  const shown = escapeInvisible(value);
  return `\`${shown.length > max ? `${shown.slice(0, max - 1)}…` : shown}\``;
}
