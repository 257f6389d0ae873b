/**
 * Prompts taken from code as the code means them: when a selection (or the cursor) is inside a
 * string literal of TypeScript/JavaScript or Python, the prompt is the literal's value, escapes
 * decoded, quotes dropped, and a concatenation over several lines (`+`, or Python's adjacent
 * literals) joined. A small scanner, not a parser: it knows strings, comments, template
 * substitutions, JS regex literals and bracket depth, which is all it takes to find literals.
 */

export type LiteralLanguage = 'js' | 'python';

/** The language whose literals `languageId` (a VS Code language id) uses, or undefined. */
export function literalLanguage(languageId: string): LiteralLanguage | undefined {
  if (['typescript', 'typescriptreact', 'javascript', 'javascriptreact'].includes(languageId)) return 'js';
  if (languageId === 'python') return 'python';
  return undefined;
}

/** One string literal in the source: [start, end) covers its prefix and quotes. */
export interface StringLiteral {
  start: number;
  end: number;
  /** Where its content (between the quotes) starts and ends. */
  contentStart: number;
  contentEnd: number;
  /** Decodes a slice of the content, as the language reads it. */
  decode: (from: number, to: number) => string;
}

export interface LiteralPrompt {
  /** The prompt: the value of the literal (or of the concatenation) the selection is in. */
  value: string;
  /** The source range the value came from (first literal's start to last literal's end). */
  start: number;
  end: number;
  /** How many literals were joined. */
  parts: number;
}

/**
 * The prompt a selection [from, to) means, when it lies inside a string literal (or a
 * concatenation of them); undefined when it does not (then the selection is taken as written).
 * - An empty selection (the cursor) inside a literal: the whole concatenation's value.
 * - A selection covering a literal's whole content, or its quotes too: that literal's value.
 * - A selection inside one literal's content: the selected part, decoded.
 * - A selection spanning several literals of one concatenation: their values, joined.
 */
export function promptFromLiteral(source: string, language: LiteralLanguage, from: number, to: number): LiteralPrompt | undefined {
  const literals = scanStringLiterals(source, language);
  const groups = concatenations(source, language, literals);
  for (const group of groups) {
    const first = group[0]!;
    const last = group[group.length - 1]!;
    if (from < first.start || to > last.end) continue;
    const touched = group.filter((l) => from < l.end && to > l.start);
    if (from === to) {
      const inside = group.find((l) => from >= l.contentStart && from <= l.contentEnd);
      if (!inside) continue;
      return joined(group);
    }
    if (touched.length === 0) continue;
    if (touched.length > 1) {
      // Bounds must not cut into code around the group's ends.
      return joined(touched);
    }
    const l = touched[0]!;
    if (from < l.start || to > l.end) continue;
    const a = Math.max(from, l.contentStart);
    const b = Math.min(to, l.contentEnd);
    if (a >= b) continue;
    return { value: l.decode(a, b), start: l.start, end: l.end, parts: 1 };
  }
  return undefined;
}

function joined(literals: StringLiteral[]): LiteralPrompt {
  return {
    value: literals.map((l) => l.decode(l.contentStart, l.contentEnd)).join(''),
    start: literals[0]!.start,
    end: literals[literals.length - 1]!.end,
    parts: literals.length,
  };
}

/** Every top-level string literal of the source, in order (literals inside template substitutions are skipped). */
export function scanStringLiterals(source: string, language: LiteralLanguage): StringLiteral[] {
  return language === 'js' ? scanJs(source) : scanPython(source);
}

/**
 * Groups literals joined into one value: by `+` in JS (any whitespace and comments between), by
 * `+` or adjacency in Python (across lines only inside brackets or after a backslash).
 */
function concatenations(source: string, language: LiteralLanguage, literals: StringLiteral[]): StringLiteral[][] {
  const depths = language === 'python' ? bracketDepthsAfter(source, literals) : [];
  const groups: StringLiteral[][] = [];
  literals.forEach((l, k) => {
    const group = groups[groups.length - 1];
    const prev = literals[k - 1];
    if (group && prev && joins(source.slice(prev.end, l.start), language, (depths[k - 1] ?? 0) > 0)) group.push(l);
    else groups.push([l]);
  });
  return groups;
}

function joins(gap: string, language: LiteralLanguage, inBrackets: boolean): boolean {
  if (language === 'js') return /^\s*\+\s*$/.test(gap.replace(/\/\/[^\n]*|\/\*[\s\S]*?\*\//g, ' '));
  // Comments end at the line's end; a backslash continuation joins two lines into one.
  const bare = gap.replace(/#[^\n]*/g, ' ').replace(/\\\r?\n/g, ' ');
  if (!/^\s*\+?\s*$/.test(bare)) return false;
  // Across a line, Python joins only inside brackets (implicit line joining).
  return inBrackets || !/\n/.test(bare);
}

/** Python's bracket depth just after each literal, counted outside strings and comments, in one pass. */
function bracketDepthsAfter(source: string, literals: StringLiteral[]): number[] {
  const depths: number[] = [];
  let depth = 0;
  let k = 0;
  for (let i = 0; i < source.length && k < literals.length; i++) {
    const lit = literals[k]!;
    if (i === lit.start) {
      depths.push(depth);
      i = lit.end - 1;
      k++;
      continue;
    }
    const c = source[i]!;
    if (c === '#') i = lineEnd(source, i) - 1;
    else if ('([{'.includes(c)) depth++;
    else if (')]}'.includes(c)) depth = Math.max(0, depth - 1);
  }
  return depths;
}

// ------------------------------------------------------------------------ JavaScript / TypeScript

/** JS escapes (ECMAScript 12.9.4): what `\x` stands for; other characters stand for themselves. */
const JS_SINGLE: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', v: '\v' };

function decodeJs(raw: string): string {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c === '\r') {
      // Line terminators in a template literal read as \n (CRLF normalised).
      out += '\n';
      if (raw[i + 1] === '\n') i++;
      continue;
    }
    if (c !== '\\' || i + 1 >= raw.length) {
      out += c;
      continue;
    }
    const e = raw[++i]!;
    if (e in JS_SINGLE) out += JS_SINGLE[e];
    else if (e === '\n' || e === '\u2028' || e === '\u2029') continue;
    else if (e === '\r') {
      if (raw[i + 1] === '\n') i++;
    } else if (e === '0' && !/[0-9]/.test(raw[i + 1] ?? '')) out += '\0';
    else if (e === 'x' && /^[0-9a-fA-F]{2}$/.test(raw.slice(i + 1, i + 3))) {
      out += String.fromCharCode(parseInt(raw.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (e === 'u' && raw[i + 1] === '{') {
      const close = raw.indexOf('}', i + 2);
      const hex = close > 0 ? raw.slice(i + 2, close) : '';
      if (/^[0-9a-fA-F]{1,6}$/.test(hex) && parseInt(hex, 16) <= 0x10ffff) {
        out += String.fromCodePoint(parseInt(hex, 16));
        i = close;
      } else out += '\\u';
    } else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(raw.slice(i + 1, i + 5))) {
      out += String.fromCharCode(parseInt(raw.slice(i + 1, i + 5), 16));
      i += 4;
    } else if (/[1-7]/.test(e)) {
      // Legacy octal (sloppy-mode strings): up to three digits, at most \377.
      const m = /^[0-7]{1,3}/.exec(raw.slice(i))![0];
      const digits = parseInt(m, 8) > 0o377 ? m.slice(0, 2) : m;
      out += String.fromCharCode(parseInt(digits, 8));
      i += digits.length - 1;
    } else out += e;
  }
  return out;
}

/** A JS template literal's value: escapes decoded, `${…}` substitutions kept as written (they are code). */
function decodeTemplate(raw: string): string {
  let out = '';
  let i = 0;
  while (i < raw.length) {
    const sub = findSubstitution(raw, i);
    if (sub < 0) return out + decodeJs(raw.slice(i));
    const end = skipJsCode(raw, sub + 2, '}');
    out += decodeJs(raw.slice(i, sub)) + raw.slice(sub, Math.min(end + 1, raw.length));
    i = end + 1;
  }
  return out;
}

/** The offset of the next unescaped `${` in template text from `i`, or -1. */
function findSubstitution(raw: string, i: number): number {
  for (; i < raw.length - 1; i++) {
    if (raw[i] === '\\') i++;
    else if (raw[i] === '$' && raw[i + 1] === '{') return i;
  }
  return -1;
}

/** Keywords after which `/` starts a regex literal, not a division. */
const REGEX_AFTER_WORD = new Set(['return', 'typeof', 'instanceof', 'in', 'of', 'new', 'delete', 'void', 'throw', 'case', 'do', 'else', 'yield', 'await']);

function regexAllowed(source: string, i: number): boolean {
  let j = i - 1;
  while (j >= 0 && /\s/.test(source[j]!)) j--;
  if (j < 0) return true;
  const c = source[j]!;
  if (/[\w$]/.test(c)) {
    let k = j;
    while (k >= 0 && /[\w$]/.test(source[k]!)) k--;
    return REGEX_AFTER_WORD.has(source.slice(k + 1, j + 1));
  }
  return !/[)\]}]/.test(c);
}

/** The end of a JS regex literal starting at `i` (its `/`), flags included. */
function skipRegex(source: string, i: number): number {
  let inClass = false;
  for (let j = i + 1; j < source.length; j++) {
    const c = source[j]!;
    if (c === '\n') return j;
    if (c === '\\') j++;
    else if (c === '[') inClass = true;
    else if (c === ']') inClass = false;
    else if (c === '/' && !inClass) {
      j++;
      while (j < source.length && /[a-z]/.test(source[j]!)) j++;
      return j;
    }
  }
  return source.length;
}

/** The end of a quoted JS string starting at `i`: after its closing quote, or at the line's end when unterminated. */
function skipJsQuoted(source: string, i: number): number {
  const q = source[i];
  for (let j = i + 1; j < source.length; j++) {
    const c = source[j]!;
    if (c === '\\') j++;
    else if (c === q) return j + 1;
    else if (c === '\n') return j;
  }
  return source.length;
}

/** The end of a template literal starting at `i` (its backtick): after the closing backtick. */
function skipTemplate(source: string, i: number): number {
  for (let j = i + 1; j < source.length; j++) {
    const c = source[j]!;
    if (c === '\\') j++;
    else if (c === '`') return j + 1;
    else if (c === '$' && source[j + 1] === '{') j = skipJsCode(source, j + 2, '}');
  }
  return source.length;
}

/** Skips JS code from `i` to the `close` bracket that balances it (its offset), or the source's end. */
function skipJsCode(source: string, i: number, close: string): number {
  let depth = 0;
  for (let j = i; j < source.length; j++) {
    const c = source[j]!;
    if (c === '"' || c === "'") j = skipJsQuoted(source, j) - 1;
    else if (c === '`') j = skipTemplate(source, j) - 1;
    else if (source.startsWith('//', j)) j = lineEnd(source, j) - 1;
    else if (source.startsWith('/*', j)) j = blockEnd(source, j) - 1;
    else if (c === '{') depth++;
    else if (c === close && depth === 0) return j;
    else if (c === '}') depth--;
  }
  return source.length;
}

const lineEnd = (s: string, i: number) => (s.indexOf('\n', i) < 0 ? s.length : s.indexOf('\n', i));
const blockEnd = (s: string, i: number) => (s.indexOf('*/', i + 2) < 0 ? s.length : s.indexOf('*/', i + 2) + 2);

function scanJs(source: string): StringLiteral[] {
  const out: StringLiteral[] = [];
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === '"' || c === "'") {
      const end = skipJsQuoted(source, i);
      const closed = source[end - 1] === c && end - 1 > i;
      out.push(literal(source, i, i + 1, closed ? end - 1 : end, end, decodeJs));
      i = end - 1;
    } else if (c === '`') {
      const end = skipTemplate(source, i);
      const closed = source[end - 1] === '`' && end - 1 > i;
      out.push(literal(source, i, i + 1, closed ? end - 1 : end, end, decodeTemplate));
      i = end - 1;
    } else if (source.startsWith('//', i)) i = lineEnd(source, i) - 1;
    else if (source.startsWith('/*', i)) i = blockEnd(source, i) - 1;
    else if (c === '/' && regexAllowed(source, i)) i = skipRegex(source, i) - 1;
    else if (/[\w$]/.test(c)) {
      // Skip a whole word, so `return` and identifiers are read as one (regexAllowed looks back at them).
      while (i + 1 < source.length && /[\w$]/.test(source[i + 1]!)) i++;
    }
  }
  return out;
}

function literal(source: string, start: number, contentStart: number, contentEnd: number, end: number, decode: (raw: string) => string): StringLiteral {
  return { start, end, contentStart, contentEnd, decode: (from, to) => decode(source.slice(from, to)) };
}

// ------------------------------------------------------------------------------------- Python

/** Python escapes (Language Reference 2.4.1.1) that stand for one character. */
const PY_SINGLE: Record<string, string> = { '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

function decodePython(raw: string, flags: { raw: boolean; bytes: boolean; format: boolean }): string {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c === '\r') {
      out += '\n';
      if (raw[i + 1] === '\n') i++;
      continue;
    }
    if (flags.format && (c === '{' || c === '}')) {
      // f-strings: {{ and }} are literal braces; a {field} is code, kept as written.
      if (raw[i + 1] === c) {
        out += c;
        i++;
        continue;
      }
      if (c === '{') {
        const close = skipPythonField(raw, i + 1);
        out += raw.slice(i, close + 1);
        i = close;
        continue;
      }
    }
    if (c !== '\\' || flags.raw || i + 1 >= raw.length) {
      out += c;
      if (c === '\\' && flags.raw && i + 1 < raw.length) out += raw[++i];
      continue;
    }
    const e = raw[++i]!;
    if (e in PY_SINGLE) out += PY_SINGLE[e];
    else if (e === '\n') continue;
    else if (e === '\r') {
      if (raw[i + 1] === '\n') i++;
    } else if (/[0-7]/.test(e)) {
      const m = /^[0-7]{1,3}/.exec(raw.slice(i))![0];
      out += String.fromCharCode(parseInt(m, 8));
      i += m.length - 1;
    } else if (e === 'x' && /^[0-9a-fA-F]{2}$/.test(raw.slice(i + 1, i + 3))) {
      out += String.fromCharCode(parseInt(raw.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (!flags.bytes && e === 'u' && /^[0-9a-fA-F]{4}$/.test(raw.slice(i + 1, i + 5))) {
      out += String.fromCharCode(parseInt(raw.slice(i + 1, i + 5), 16));
      i += 4;
    } else if (!flags.bytes && e === 'U' && /^[0-9a-fA-F]{8}$/.test(raw.slice(i + 1, i + 9)) && parseInt(raw.slice(i + 1, i + 9), 16) <= 0x10ffff) {
      out += String.fromCodePoint(parseInt(raw.slice(i + 1, i + 9), 16));
      i += 8;
    } else {
      // Unknown escapes (and \N{NAME}, whose names need Unicode's name table) stay as written, as Python keeps them.
      out += '\\' + e;
    }
  }
  return out;
}

/** The offset of the `}` closing an f-string field opened before `i`. */
function skipPythonField(raw: string, i: number): number {
  let depth = 0;
  for (let j = i; j < raw.length; j++) {
    const c = raw[j]!;
    if (c === '{') depth++;
    else if (c === '}') {
      if (depth === 0) return j;
      depth--;
    }
  }
  return raw.length - 1;
}

const PY_PREFIX = /^(?:[rRuUbBfF]|[rR][bBfF]|[bBfF][rR])(?=['"])/;

function scanPython(source: string): StringLiteral[] {
  const out: StringLiteral[] = [];
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === '#') {
      i = lineEnd(source, i) - 1;
      continue;
    }
    let prefix = '';
    if (/[rRuUbBfF]/.test(c) && !/[\w]/.test(source[i - 1] ?? '')) prefix = PY_PREFIX.exec(source.slice(i, i + 3))?.[0] ?? '';
    else if (/\w/.test(c)) {
      while (i + 1 < source.length && /\w/.test(source[i + 1]!)) i++;
      continue;
    }
    const q = source[i + prefix.length];
    if (q !== '"' && q !== "'") {
      if (prefix === '' && /\w/.test(c)) while (i + 1 < source.length && /\w/.test(source[i + 1]!)) i++;
      continue;
    }
    const open = i + prefix.length;
    const triple = source.startsWith(q.repeat(3), open);
    const delim = triple ? q.repeat(3) : q;
    const contentStart = open + delim.length;
    const p = prefix.toLowerCase();
    const flags = { raw: p.includes('r'), bytes: p.includes('b'), format: p.includes('f') };
    let j = contentStart;
    let contentEnd = source.length;
    let end = source.length;
    for (; j < source.length; j++) {
      const ch = source[j]!;
      if (ch === '\\') j++;
      else if (!triple && ch === '\n') {
        contentEnd = end = j;
        break;
      } else if (source.startsWith(delim, j)) {
        contentEnd = j;
        end = j + delim.length;
        break;
      }
    }
    out.push({ start: i, end, contentStart, contentEnd, decode: (from, to) => decodePython(source.slice(from, to), flags) });
    i = end - 1;
  }
  return out;
}
