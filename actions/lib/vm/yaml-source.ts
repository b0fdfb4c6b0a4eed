import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';
import {
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  visit,
  type Document,
} from 'yaml';
import type { Diagnostic } from './diagnostics.js';

/** Files larger than this are refused before they are read: no VM file comes close. */
export const MAX_FILE_BYTES = 1024 * 1024;
/** Deeper nesting than this is refused; the deepest legitimate value is 3 levels down. */
export const MAX_DEPTH = 32;
/** Aliases expanded at most this many times (a "billion laughs" file stops here). */
export const MAX_ALIAS_COUNT = 100;

/** A parsed YAML file that keeps the positions of its keys and values. */
export interface YamlSource {
  file: string;
  doc: Document.Parsed;
  lineCounter: LineCounter;
  /** The plain JavaScript value of the document. */
  data: unknown;
  /**
   * Positions of the mapping keys and values near the top (see {@link indexPositions}), so a
   * source that dropped its document answers {@link positionOf} without parsing it again.
   */
  positions?: KeptPositions;
}

export type PathSegment = string | number;

type ParseResult =
  { source: YamlSource; diagnostics: [] } | { source?: undefined; diagnostics: Diagnostic[] };

function fail(file: string, line: number, col: number, message: string): ParseResult {
  return { diagnostics: [{ file, line, col, message, severity: 'error' }] };
}

/** 1-based line of a byte offset: counts newlines before it. */
function lineOfByte(bytes: Uint8Array, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) if (bytes[i] === 0x0a) line++;
  return line;
}

/** Offset of the first byte that is not valid UTF-8 (the decoder's first replacement). */
function firstInvalidByte(bytes: Uint8Array): number {
  const text = new TextDecoder('utf-8').decode(bytes);
  const at = text.indexOf('\uFFFD');
  return at < 0 ? 0 : new TextEncoder().encode(text.slice(0, at)).length;
}

/**
 * Deepest `[`/`{` nesting outside quotes and comments, stopping early past the limit. Checked
 * before parsing because the parser's time grows steeply with flow nesting.
 */
function flowDepthExceeds(text: string, limit: number): number {
  let depth = 0;
  let quote = '';
  let comment = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (comment) {
      if (c === '\n') comment = false;
    } else if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = '';
    } else if (c === '"' || (c === "'" && /[\s[{,:]/.test(text[i - 1] ?? ' '))) quote = c;
    else if (c === '#' && /\s/.test(text[i - 1] ?? ' ')) comment = true;
    else if (c === '[' || c === '{') {
      if (++depth > limit) return i;
    } else if ((c === ']' || c === '}') && depth > 0) depth--;
  }
  return -1;
}

/** How strict parsing is. */
export interface ParseOptions {
  /** An empty (or comments-only) file parses as an empty mapping instead of an error. */
  allowEmpty?: boolean;
  /** Refuse a symbolic link instead of following it (O_NOFOLLOW): VM files. */
  noFollow?: boolean;
}

/**
 * Reads and parses one YAML file, refusing oversized, non-UTF-8 and hostile input. The size is
 * checked on the open descriptor before any byte is read. I/O is synchronous on purpose: for
 * a thousand small files it is several times faster than fs/promises (measured in
 * bench/validate.bench.ts), and validation is CPU-bound anyway.
 */
export function readYamlFile(
  absPath: string,
  file: string,
  options: ParseOptions = {},
): ParseResult {
  let bytes: Buffer;
  let fd: number | undefined;
  try {
    // Non-blocking, so that a FIFO named like a definition cannot hang the run.
    const noFollow = options.noFollow ? constants.O_NOFOLLOW : 0;
    fd = openSync(absPath, constants.O_RDONLY | constants.O_NONBLOCK | noFollow);
    const info = fstatSync(fd);
    if (!info.isFile())
      return fail(file, 1, 1, 'This is not a regular file; a definition must be one.');
    const size = info.size;
    if (size > MAX_FILE_BYTES) {
      return fail(
        file,
        1,
        1,
        `This file is ${size} bytes, over the 1 MiB limit for a definition file.`,
      );
    }
    bytes = readFileSync(fd);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    if (code === 'ELOOP')
      return fail(
        file,
        1,
        1,
        'This is a symbolic link, which is never read; a definition must be a regular file.',
      );
    return fail(file, 1, 1, `This file cannot be read (${code}).`);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  if (bytes.length > MAX_FILE_BYTES) {
    return fail(file, 1, 1, 'This file is over the 1 MiB limit for a definition file.');
  }
  return decodeAndParse(bytes, file, options);
}

// One decoder for every file: making one per file cost ~15 µs each (10,000 files: 0.15 s).
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

function decodeAndParse(bytes: Buffer, file: string, options: ParseOptions): ParseResult {
  let text: string;
  try {
    text = STRICT_UTF8.decode(bytes);
  } catch {
    const line = lineOfByte(bytes, firstInvalidByte(bytes));
    return fail(
      file,
      line,
      1,
      `This file is not valid UTF-8 (first bad byte on line ${line}); save it as UTF-8.`,
    );
  }
  return parseYamlText(text, file, options);
}

/** Deep nesting is refused both before parsing (flow style) and after (block style). */
const tooDeepAt = (file: string, line: number, col: number): ParseResult =>
  fail(
    file,
    line,
    col,
    `Nesting is deeper than ${MAX_DEPTH} levels; a definition file never needs that.`,
  );

/** Parses YAML text into a {@link YamlSource}, or explains in one sentence why it cannot. */
export function parseYamlText(text: string, file: string, options: ParseOptions = {}): ParseResult {
  const lineCounter = new LineCounter();
  const tooDeep = flowDepthExceeds(text, MAX_DEPTH);
  if (tooDeep >= 0) {
    lineCounter.addNewLine(0);
    for (let i = 0; i < text.length; i++) if (text[i] === '\n') lineCounter.addNewLine(i + 1);
    const { line, col } = lineCounter.linePos(tooDeep);
    return tooDeepAt(file, line, col);
  }
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem) {
    const { line, col } = lineCounter.linePos(problem.pos[0]);
    if (problem.code === 'DUPLICATE_KEY') {
      const key = text.slice(problem.pos[0]).split('\n')[0].split(':')[0].trim();
      return fail(
        file,
        line,
        col,
        `Duplicate key \`${key.slice(0, 40)}\`; each key may appear only once.`,
      );
    }
    const detail = problem.message.split('\n')[0].replace(/\.$/, '');
    return fail(file, line, col, `Invalid YAML: ${detail}.`);
  }
  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) {
    if (options.allowEmpty)
      return { source: { file, doc, lineCounter, data: {} }, diagnostics: [] };
    return fail(
      file,
      1,
      1,
      `This file is empty; it must be a mapping of settings such as \`name: ...\`.`,
    );
  }
  const deep = deepestNode(doc);
  if (deep) {
    const { line, col } = lineCounter.linePos(deep);
    return tooDeepAt(file, line, col);
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    let at = 0;
    visit(doc, { Alias: (_k, node) => ((at = node.range?.[0] ?? 0), visit.BREAK) });
    const { line, col } = lineCounter.linePos(at);
    const why =
      err instanceof ReferenceError && /alias/i.test(err.message)
        ? `aliases expand more than ${MAX_ALIAS_COUNT} times (a resource exhaustion attack?)`
        : err instanceof Error
          ? err.message
          : String(err);
    return fail(file, line, col, `YAML refused: ${why}.`);
  }
  return { source: { file, doc, lineCounter, data }, diagnostics: [] };
}

/** Offset of the first node nested deeper than MAX_DEPTH, or undefined. Iterative: no recursion. */
function deepestNode(doc: Document.Parsed): number | undefined {
  const stack: Array<[unknown, number]> = [[doc.contents, 1]];
  while (stack.length) {
    const [node, depth] = stack.pop()!;
    if (!isMap(node) && !isSeq(node)) continue;
    if (depth > MAX_DEPTH) return node.range?.[0] ?? 0;
    for (const item of node.items) {
      if (isPair(item)) stack.push([item.key, depth + 1], [item.value, depth + 1]);
      else stack.push([item, depth + 1]);
    }
  }
  return undefined;
}

const positionKey = (path: readonly PathSegment[]) => path.join('\u0000');

/** Positions of a few values, packed: `at[2i]`, `at[2i+1]` are line and column of path i (0: absent). */
export interface KeptPositions {
  /** Path (segments joined by NUL) → its index; shared by every file. */
  index: ReadonlyMap<string, number>;
  at: readonly number[];
}

/**
 * The positions {@link positionOf} gives for the values at `paths`, computed while the
 * document is at hand. Kept instead of the document (~20 KB a file), they spare a second
 * parse of each file a cross-file rule reports on: with 10,000 files sharing one IP, that
 * second parse was a quarter of the time. Paths absent from the file are left out.
 */
export function indexPositions(
  source: YamlSource,
  paths: ReadonlyArray<readonly PathSegment[]>,
  index: ReadonlyMap<string, number> = new Map(paths.map((p, i) => [positionKey(p), i])),
): KeptPositions {
  const at: number[] = new Array<number>(paths.length * 2).fill(0);
  paths.forEach((p, i) => {
    let node: unknown = source.doc.contents;
    let found = true;
    for (const seg of p) {
      const pair = isMap(node)
        ? node.items.find((x) => isScalar(x.key) && String(x.key.value) === String(seg))
        : undefined;
      if (!pair) {
        found = false;
        break;
      }
      node = pair.value;
    }
    if (!found) return;
    const { line, col } = positionOf(source, p);
    at[2 * i] = line;
    at[2 * i + 1] = col;
  });
  return { index, at };
}

/**
 * Position of the value (or, with `key`, the key) at `path`. When the path goes further than
 * the document, the deepest node on it is used, so every diagnostic still has a place.
 */
export function positionOf(
  source: YamlSource,
  path: readonly PathSegment[],
  what: 'key' | 'value' = 'value',
): { line: number; col: number } {
  const kept = what === 'value' ? source.positions : undefined;
  const i = kept?.index.get(positionKey(path));
  if (kept && i !== undefined && kept.at[2 * i] > 0)
    return { line: kept.at[2 * i], col: kept.at[2 * i + 1] };
  let node: unknown = source.doc.contents;
  let offset = (node as { range?: [number] } | null)?.range?.[0] ?? 0;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) break;
      const keyOffset = (pair.key as { range?: [number] }).range?.[0];
      if (last && what === 'key') {
        offset = keyOffset ?? offset;
        break;
      }
      const valueOffset = (pair.value as { range?: [number] } | null)?.range?.[0];
      offset = valueOffset ?? keyOffset ?? offset;
      node = pair.value;
    } else if (isSeq(node)) {
      const item = node.items[Number(seg)] as { range?: [number] } | undefined;
      if (!item) break;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else break;
  }
  return source.lineCounter.linePos(offset);
}
