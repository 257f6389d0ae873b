/**
 * What XGrammar is given for a schema: the regular expressions of `pattern`, `patternProperties`
 * and checked formats, rewritten for how XGrammar reads them. XGrammar matches a regex against the
 * whole string as written in the JSON text; JSON Schema searches the decoded string. So:
 * - an unanchored side gets `.*` (search semantics: `"^https?://"` admits any URL, not only
 *   `"https://"`);
 * - `.`, negated classes and `\S`/`\W`/`\D` exclude `"`, `\` and control characters, which the JSON
 *   text would need escaped (XGrammar's `.` would put a bare `"` into the string and end it);
 *   a literal `"` or `\` becomes its escaped spelling;
 * - `"minLength": 0`, which XGrammar misreads as a maximum, is dropped (it constrains nothing);
 * - string constants with a `/` become patterns (XGrammar would write `\/`);
 * - `date`, `time` and `date-time` become patterns with the calendar in them (February 30 cannot
 *   be written), the subset of ajv-formats' check without leap seconds;
 * - `byte` (base64), `iso-time`, `iso-date-time`, `uri-template`, `url` and
 *   `json-pointer-uri-fragment` become ajv-formats' regexes, which neither engine checked as formats;
 * - `email` becomes ajv-formats' own regex: XGrammar's email grammar is looser (it finished
 *   `"qvy/@j"`, a domain without a dot, in Github_hard---o34872.json and Github_easy---o64536.json).
 */
import { AJV_FORMATS } from './coverage';
import { cloneJson, forEachSubschema } from './dialect';

type Node = Record<string, unknown>;

/** One JSON string character that needs no escape, as a class body. */
const PLAIN = '"\\\\\\x00-\\x1f';
const ANY_PLAIN = `[^${PLAIN}]`;

const DAY31 = '(?:0[1-9]|[12][0-9]|3[01])';
const DAY30 = '(?:0[1-9]|[12][0-9]|30)';
const DAY28 = '(?:0[1-9]|1[0-9]|2[0-8])';
const LEAP_YEAR = '(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)';
const DATE = `(?:[0-9]{4}-(?:(?:0[13578]|1[02])-${DAY31}|(?:0[469]|11)-${DAY30}|02-${DAY28})|${LEAP_YEAR}-02-29)`;
const TIME_OF_DAY = '(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\\.[0-9]+)?';
const ZONE = '(?:[zZ]|[+-](?:[01][0-9]|2[0-3])(?::?[0-5][0-9])?)';
const TIME = `${TIME_OF_DAY}${ZONE}`;
/** ajv-formats' `iso-time`: the time zone may be left out. */
const ISO_TIME = `${TIME_OF_DAY}${ZONE}?`;
/** One character of an email's local part, and one label of its domain (ajv-formats' "full" email, case-insensitive). */
const EMAIL_CHAR = "[a-zA-Z0-9!#$%&'*+/=?^_`{|}~-]";
const EMAIL_LABEL = '[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?';
const HEX2 = '%[0-9a-fA-F]{2}';
/** ajv-formats' `uri-template` (RFC 6570), case-insensitive. */
const URI_TEMPLATE_VAR = `(?:[a-zA-Z0-9_]|${HEX2})+(?::[1-9][0-9]{0,3}|\\*)?`;
const URI_TEMPLATE = `^(?:[^\\x00-\\x20"'<>%\\\\^\`{|}]|${HEX2}|\\{[+#./;?&=,!@|]?${URI_TEMPLATE_VAR}(?:,${URI_TEMPLATE_VAR})*\\})*$`;
/**
 * ajv-formats' `url` (dperini's regex, flags i and u) without its lookaheads, which XGrammar
 * cannot read: they keep out the private IPv4 ranges 10/8, 127/8, 169.254/16, 192.168/16 and
 * 172.16/12, so here the first two octets spell that out. `\S` is written out as the printable
 * characters of the Basic Multilingual Plane less ECMAScript's whitespace, so no regex engine's
 * idea of `\s` decides it (a positive class: XGrammar aborts on `[^\u1680]`); characters beyond
 * it are left out, a narrowing.
 */
const NOT_SPACE = '[!-~\\u0080-\\u009f\\u00a1-\\u167f\\u1681-\\u1fff\\u200b-\\u2027\\u202a-\\u202e\\u2030-\\u205e\\u2060-\\u2fff\\u3001-\\ufefe\\uff00-\\uffff]';
const OCTET = '(?:[0-9]{1,2}|1[0-9]{2}|2[0-4][0-9]|25[0-5])';
const URL_FIRST = '(?:[1-9]|1[1-9]|[2-9][0-9]|1[013458][0-9]|12[0-689]|16[0-8]|17[013-9]|19[013-9]|2[01][0-9]|22[0-3])';
const URL_IPV4 =
  `(?:${URL_FIRST}\\.${OCTET}\\.${OCTET}` +
  `|169\\.(?:[0-9]{1,2}|1[0-9]{2}|2[0-4][0-9]|25[0-35])\\.${OCTET}` +
  `|192\\.(?:[0-9]{1,2}|1[0-57-9][0-9]|16[0-79]|2[0-4][0-9]|25[0-5])\\.${OCTET}` +
  `|172\\.(?:[0-9]|0[0-9]|1[0-5]|3[2-9]|[4-9][0-9]|1[0-9]{2}|2[0-4][0-9]|25[0-5])\\.${OCTET})` +
  '\\.(?:[1-9][0-9]?|1[0-9][0-9]|2[0-4][0-9]|25[0-4])';
const URL_LABEL = '(?:[a-zA-Z0-9\\u00a1-\\uffff]+-)*[a-zA-Z0-9\\u00a1-\\uffff]+';
const URL_HOST = `${URL_LABEL}(?:\\.${URL_LABEL})*\\.[a-zA-Z\\u00a1-\\uffff]{2,}`;
const URL = `^(?:[hH][tT][tT][pP][sS]?|[fF][tT][pP])://(?:${NOT_SPACE}+(?::${NOT_SPACE}*)?@)?(?:${URL_IPV4}|${URL_HOST})(?::[0-9]{2,5})?(?:/${NOT_SPACE}*)?$`;
/**
 * Formats given as patterns instead (ajv-formats' `date`, `time` and `date-time`, strict time zone;
 * its `email` and `byte`). Neither engine checks `byte` as a format: transformers-structured-output
 * reads it as an annotation, so both masks let any string through (MCPspec---CreateMessageResult.json).
 */
export const FORMAT_PATTERNS: Record<string, string> = {
  date: `^${DATE}$`,
  email: `^${EMAIL_CHAR}+(?:\\.${EMAIL_CHAR}+)*@(?:${EMAIL_LABEL}\\.)+${EMAIL_LABEL}$`,
  // Base64 on one line; ajv-formats (flag m) also takes a string of several lines if one of them is base64.
  byte: '^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$',
  time: `^${TIME}$`,
  'date-time': `^${DATE}[tT ]${TIME}$`,
  'iso-time': `^${ISO_TIME}$`,
  // ajv-formats splits at any whitespace too; a tab or newline would be an escape in the JSON text.
  'iso-date-time': `^${DATE}[tT ]${ISO_TIME}$`,
  'uri-template': URI_TEMPLATE,
  url: URL,
  'json-pointer-uri-fragment': `^#(?:/(?:[a-zA-Z0-9_\\-.!$&'()*+,;:=@]|${HEX2}|~0|~1)*)*$`,
};

/** A copy of `schema` with every regex rewritten for XGrammar; undefined entries where one cannot be. */
export function xgrammarSchema(schema: Node | boolean): Node | boolean {
  if (typeof schema === 'boolean') return schema;
  const copy = cloneJson(schema);
  forEachSubschema(copy, (node) => {
    // XGrammar reads `"minLength": 0` alone as "at most 0 characters"; it says nothing, so it goes.
    if (node.minLength === 0) delete node.minLength;
    const values = 'const' in node ? [node.const] : Array.isArray(node.enum) ? (node.enum as unknown[]) : undefined;
    if (values && values.length > 0 && values.every((v) => typeof v === 'string') && values.some((v) => (v as string).includes('/')) && node.pattern === undefined) {
      // XGrammar spells a constant's `/` as `\/`: valid JSON, but not how anyone writes it. A pattern keeps it plain.
      node.pattern = `^(?:${(values as string[]).map((v) => v.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&')).join('|')})$`;
      node.type = 'string';
      delete node.const;
      delete node.enum;
    }
    // A format ajv does not check is an annotation: XGrammar would read it and drop a pattern beside it.
    if (typeof node.format === 'string' && !AJV_FORMATS.has(node.format)) delete node.format;
    if (typeof node.format === 'string' && node.format in FORMAT_PATTERNS && (node.type === 'string' || node.type === undefined)) {
      if (node.pattern === undefined) {
        node.pattern = FORMAT_PATTERNS[node.format];
        delete node.format;
      }
    }
    if (typeof node.pattern === 'string') {
      const rewritten = jsonTextRegex(node.pattern);
      if (rewritten !== undefined) node.pattern = rewritten;
    }
    if (typeof node.patternProperties === 'object' && node.patternProperties !== null) {
      node.patternProperties = Object.fromEntries(
        Object.entries(node.patternProperties as Node).map(([p, s]) => [jsonTextRegex(p) ?? p, s]),
      );
    }
  });
  return copy;
}

/**
 * `pattern` (ECMA-262, search semantics, over the decoded string) as a full-match regex over the
 * string's JSON text. Undefined when it uses what this cannot rewrite (backreferences,
 * lookarounds: XGrammar refuses those too, and the glue then names the keyword).
 */
export function jsonTextRegex(pattern: string): string | undefined {
  const alternatives = topLevelAlternatives(pattern);
  if (!alternatives) return undefined;
  const parts: string[] = [];
  for (const alt of alternatives) {
    const start = alt.startsWith('^');
    const end = /(^|[^\\])(\\\\)*\$$/.test(alt);
    const body = escapeForJsonText(alt.slice(start ? 1 : 0, end ? alt.length - 1 : alt.length));
    if (body === undefined) return undefined;
    parts.push(`${start ? '' : `${ANY_PLAIN}*`}${body}${end ? '' : `${ANY_PLAIN}*`}`);
  }
  return parts.length === 1 ? `^${parts[0]}$` : `^(?:${parts.join('|')})$`;
}

/** Splits at the `|`s outside groups and classes; undefined on an unbalanced pattern. */
function topLevelAlternatives(pattern: string): string[] | undefined {
  const out: string[] = [];
  let depth = 0;
  let inClass = false;
  let from = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
    } else if (c === '[') inClass = true;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '|' && depth === 0) {
      out.push(pattern.slice(from, i));
      from = i + 1;
    }
    if (depth < 0) return undefined;
  }
  if (depth !== 0 || inClass) return undefined;
  out.push(pattern.slice(from));
  return out;
}

/** Rewrites one alternative's atoms so none can write a bare `"`, `\` or control character. */
function escapeForJsonText(body: string): string | undefined {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === '\\') {
      const next = body[i + 1];
      if (next === undefined) return undefined;
      i++;
      if (/[1-9k]/.test(next)) return undefined; // backreferences
      if (next === 'S') out += `[^\\s${PLAIN}]`;
      else if (next === 'W') out += `[^\\w${PLAIN}]`;
      else if (next === 'D') out += `[^0-9${PLAIN}]`;
      else if (next === 's') out += '[ \\u00a0]';
      else if (next === '\\') out += '\\\\\\\\';
      else if (next === '"') out += '\\\\"';
      else if (next === 'n' || next === 't' || next === 'r' || next === 'f' || next === 'v' || next === 'b') {
        // Written escaped in JSON: \n is the two characters `\` `n`. `\b` (a word boundary) is not rewritable.
        if (next === 'b') return undefined;
        out += `\\\\${next === 'v' ? 'u000b' : next}`;
      } else out += `\\${next}`;
      continue;
    }
    if (c === '(' && body[i + 1] === '?' && body[i + 2] !== ':') return undefined; // lookarounds, named groups
    if (c === '.') {
      out += ANY_PLAIN;
      continue;
    }
    if (c === '"') {
      out += '\\\\"';
      continue;
    }
    if (c === '^' || c === '$') return undefined; // an anchor inside: not a full-match regex
    if (c === '[') {
      const end = classEnd(body, i);
      if (end < 0) return undefined;
      const cls = rewriteClass(body.slice(i + 1, end));
      if (cls === undefined) return undefined;
      out += cls;
      i = end;
      continue;
    }
    out += c;
  }
  return out;
}

function classEnd(body: string, open: number): number {
  let i = open + 1;
  if (body[i] === '^') i++;
  if (body[i] === ']') i++;
  for (; i < body.length; i++) {
    if (body[i] === '\\') i++;
    else if (body[i] === ']') return i;
  }
  return -1;
}

/** A class that can hold neither `"`, `\` nor control characters. */
function rewriteClass(inner: string): string | undefined {
  if (inner.startsWith('^')) return `[^${inner.slice(1)}${PLAIN}]`;
  // A positive class: drop `"`, `\` and control characters, splitting ranges around them (their
  // escaped spellings are several characters, not one).
  const items: Array<[number, number] | string> = [];
  let i = 0;
  const atom = (): number | string | undefined => {
    const c = inner[i++]!;
    if (c !== '\\') return c.codePointAt(0)!;
    const next = inner[i++];
    if (next === undefined) return undefined;
    if (next === 'x') return parseHex(inner.slice(i, (i += 2)));
    if (next === 'u') return parseHex(inner.slice(i, (i += 4)));
    if (next === 'n') return 0x0a;
    if (next === 't') return 0x09;
    if (next === 'r') return 0x0d;
    if (/[dwsDWS]/.test(next)) return `\\${next}`;
    return next.codePointAt(0)!;
  };
  while (i < inner.length) {
    const a = atom();
    if (a === undefined) return undefined;
    if (typeof a === 'string') {
      if (a === '\\s') items.push([0x20, 0x20], [0xa0, 0xa0]);
      else if (a === '\\d' || a === '\\w') items.push(a);
      else return undefined;
      continue;
    }
    if (inner[i] === '-' && i + 1 < inner.length) {
      i++;
      const b = atom();
      if (typeof b !== 'number') return undefined;
      items.push([a, b]);
    } else items.push([a, a]);
  }
  const allowed: string[] = [];
  for (const item of items) {
    if (typeof item === 'string') {
      allowed.push(item);
      continue;
    }
    let [lo, hi] = item;
    lo = Math.max(lo, 0x20);
    for (const cut of [0x22, 0x5c]) {
      if (lo <= cut && cut <= hi) {
        if (lo < cut) allowed.push(range(lo, cut - 1));
        lo = cut + 1;
      }
    }
    if (lo <= hi) allowed.push(range(lo, hi));
  }
  return allowed.length === 0 ? undefined : `[${allowed.join('')}]`;
}

function parseHex(text: string): number | undefined {
  return /^[0-9a-fA-F]+$/.test(text) ? parseInt(text, 16) : undefined;
}

const classAtom = (cp: number) => (cp < 0x7f && cp > 0x20 && !/[\]\\^\-]/.test(String.fromCodePoint(cp)) ? String.fromCodePoint(cp) : cp <= 0xffff ? `\\u${cp.toString(16).padStart(4, '0')}` : String.fromCodePoint(cp));
const range = (lo: number, hi: number) => (lo === hi ? classAtom(lo) : `${classAtom(lo)}-${classAtom(hi)}`);
