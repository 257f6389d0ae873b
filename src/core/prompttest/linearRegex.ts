/**
 * Regular expressions from files a repository ships (a suite's `regex` assertions), run on RE2
 * (re2js, pure JavaScript): matching takes time linear in the text, so a pattern such as
 * `^(.|\s)*XYZ$` cannot hang a run or the extension host the way a backtracking RegExp does.
 * RE2 has no lookaround and no backreferences; such a pattern is refused with that reason.
 */
import { RE2JS } from 're2js';

export class RegexSyntaxError extends Error {
  override readonly name = 'RegexSyntaxError';
}

export interface LinearRegex {
  /** Whether the pattern matches anywhere in `text` (RegExp.prototype.test without the `g` state). */
  test(text: string): boolean;
}

/** The flags a suite may give: i (ignore case), m (^ and $ at line breaks), s (. matches a line break), u (always on in RE2). */
export const REGEX_FLAGS = 'imsu';

/**
 * Compiles `pattern` (JavaScript syntax) with `flags` for linear-time matching. Throws a
 * RegexSyntaxError whose message says what is wrong, or which feature RE2 lacks.
 */
export function compileLinearRegex(pattern: string, flags = ''): LinearRegex {
  for (const f of flags) if (!REGEX_FLAGS.includes(f)) throw new RegexSyntaxError(`flag "${f}" is not one of ${REGEX_FLAGS}`);
  let options = 0;
  if (flags.includes('i')) options |= RE2JS.CASE_INSENSITIVE;
  if (flags.includes('m')) options |= RE2JS.MULTILINE;
  if (flags.includes('s')) options |= RE2JS.DOTALL;
  try {
    const re = RE2JS.compile(RE2JS.translateRegExp(pattern), options);
    return { test: (text) => re.test(text) };
  } catch (e) {
    const message = ((e as Error).message ?? String(e)).replace(/^error parsing regexp: /, '');
    const unsupported = /\(\?[=!<]/.test(pattern) || /\\[1-9]/.test(pattern)
      ? ' Patterns run on RE2 (linear time, so no pattern can hang a run): lookahead, lookbehind and backreferences are not supported.'
      : '';
    throw new RegexSyntaxError(`${message}.${unsupported}`);
  }
}
