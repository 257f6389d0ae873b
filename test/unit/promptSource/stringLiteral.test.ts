/**
 * The prompt a selection inside a string literal means: JS/TS literals checked against the JS
 * engine's own reading of the same source (eval), Python literals against the values CPython
 * gives (written out beside each case), concatenations, and selections that are not in a literal.
 */
import * as assert from 'node:assert/strict';
import { literalLanguage, promptFromLiteral, scanStringLiterals, type LiteralLanguage } from '../../../src/core/promptSource/stringLiteral';

/** `source` with one `|` (the cursor) or two (a selection) marking offsets; the marks removed. */
function at(marked: string): { source: string; from: number; to: number } {
  const first = marked.indexOf('|');
  const second = marked.indexOf('|', first + 1);
  const source = marked.replace(/\|/g, '');
  return second < 0 ? { source, from: first, to: first } : { source, from: first, to: second - 1 };
}

function prompt(marked: string, language: LiteralLanguage = 'js'): string | undefined {
  const { source, from, to } = at(marked);
  return promptFromLiteral(source, language, from, to)?.value;
}

describe('prompts from string literals', () => {
  describe('TypeScript / JavaScript, against the engine', () => {
    // Each literal as it appears in real prompt code; the engine's value is the oracle.
    const literals = [
      String.raw`"Q: Where was Kawe Steiga born?\nA:"`,
      String.raw`'It\'s a \"quote\" and a backslash \\ and a tab\t.'`,
      String.raw`"unicode \u00e9\u{1F600} hex \x41 nul\0."`,
      String.raw`'line one \
continued'`,
      '`Q: Where was Kawe Steiga born?\nA:`',
      '`multi\nline\r\ntemplate with a real newline`',
      String.raw`"\q\w unknown escapes stand for themselves"`,
      String.raw`'legacy octal \101\7'`,
      String.raw`"// not a comment /* nor this */"`,
      String.raw`'emoji 🦀 and CJK 你好'`,
    ];
    for (const lit of literals) {
      it(`the cursor in ${JSON.stringify(lit.slice(0, 40))} gives its value`, () => {
        const source = `export const birthplace = ${lit};\n`;
        const from = source.indexOf(lit) + 2;
        // eslint-disable-next-line no-eval
        const expected = (0, eval)(lit) as string;
        assert.equal(promptFromLiteral(source, 'js', from, from)?.value, expected);
      });
    }

    it('selecting exactly the inside of a string decodes it (the issue: a literal backslash-n was sent)', () => {
      assert.equal(prompt(String.raw`const p = "|Q: Where was Ada born?\nA:|";`), 'Q: Where was Ada born?\nA:');
    });

    it('selecting the quotes too gives the same value', () => {
      assert.equal(prompt(String.raw`const p = |'Q: x?\nA:'|;`), 'Q: x?\nA:');
    });

    it('a selection inside part of the content decodes just that part', () => {
      assert.equal(prompt(String.raw`const p = "Q: |x?\nA|:";`), 'x?\nA');
    });

    it('a template literal keeps its ${…} substitutions as written, nested strings and all', () => {
      assert.equal(prompt('const p = `Hello ${user.name ?? "|anon}"} and ${`x${y}`}\\n`;'), 'Hello ${user.name ?? "anon}"} and ${`x${y}`}\n');
    });

    it('a multi-line + concatenation is joined, comments between parts ignored', () => {
      const source = [
        'const prompt =',
        "  'You are a helpful assistant.\\n' + // system line",
        '  "Q: Where was Kawe |Steiga born?\\n" +',
        '  /* answer cue */ `A:`;',
      ].join('\n');
      assert.equal(prompt(source), 'You are a helpful assistant.\nQ: Where was Kawe Steiga born?\nA:');
    });

    it('a selection spanning two parts of a concatenation joins those parts', () => {
      assert.equal(prompt('const p = "a" + "|b\\n" +\n  "c|" + "d";'), 'b\nc');
    });

    it('literals separated by code other than + are not joined', () => {
      assert.equal(prompt('f("first", "sec|ond")'), 'second');
      assert.equal(prompt('const a = "x" + y + "z|z";'), 'zz');
    });

    it('a quote inside a regex literal or a comment does not start a string', () => {
      assert.equal(prompt(`const re = /"[^"]*'/g; // it's\nconst p = "after |regex";`), 'after regex');
      assert.equal(prompt(`const half = a / 2; const b = c / "|d";`), 'd');
      assert.equal(prompt(`/* "not" */ const p = 'in|side';`), 'inside');
    });

    it('a selection that is not inside a literal is not one', () => {
      assert.equal(prompt('|const p = "x";|'), undefined);
      assert.equal(prompt('const |p| = "x";'), undefined);
      assert.equal(prompt('// "in a |comment|"'), undefined);
      assert.equal(prompt('const p = |"x"; const q|;'), undefined);
      assert.equal(prompt('plain pro|se'), undefined);
    });

    it('an unterminated string ends at its line', () => {
      assert.equal(prompt('const p = "unterminated |text\nconst q = 1;'), 'unterminated text');
    });
  });

  describe('Python', () => {
    // Values as CPython 3.12 reads each literal (checked with python3 -c 'print(repr(...))').
    const cases: [string, string][] = [
      [String.raw`'Q: Where was Kawe Steiga born?\nA:'`, 'Q: Where was Kawe Steiga born?\nA:'],
      [String.raw`"tab\tquote\"apos\'bell\a"`, 'tab\tquote"apos\'bell\x07'],
      [String.raw`r'raw \n stays \d+'`, String.raw`raw \n stays \d+`],
      [String.raw`R"raw with escaped quote \" inside"`, String.raw`raw with escaped quote \" inside`],
      [String.raw`'unknown \d escape stays'`, String.raw`unknown \d escape stays`],
      [String.raw`'octal \101\7 hex \x41 unicode \u00e9 \U0001F600'`, 'octal A\x07 hex A unicode é 😀'],
      [String.raw`b'bytes \x41 \u00e9'`, String.raw`bytes A \u00e9`],
      [String.raw`u'unicode prefix \n'`, 'unicode prefix \n'],
      [String.raw`f'{{literal}} and {name!r:>10} field\n'`, '{literal} and {name!r:>10} field\n'],
      [String.raw`rb'raw bytes \x41'`, String.raw`raw bytes \x41`],
      // The one departure: \N{NAME} stays as written (CPython looks it up in Unicode's name table: •).
      [String.raw`'named \N{BULLET} kept'`, String.raw`named \N{BULLET} kept`],
      ['"""Triple "quoted" with \'\'\' inside\nand a real newline."""', 'Triple "quoted" with \'\'\' inside\nand a real newline.'],
      ["'''Line one \\\nline two'''", 'Line one line two'],
    ];
    for (const [lit, value] of cases) {
      it(`the cursor in ${JSON.stringify(lit.slice(0, 40))} gives its value`, () => {
        const source = `PROMPT = ${lit}\n`;
        const quote = /'''|"""|['"]/.exec(lit)!;
        const from = source.indexOf(lit) + quote.index + quote[0].length;
        assert.equal(promptFromLiteral(source, 'python', from, from)?.value, value);
      });
    }

    it('implicit concatenation inside parentheses is joined', () => {
      const source = ['PROMPT = (', '    "You are terse.\\n"  # system', "    'Q: Where was |Ada born?\\n'", '    r"A:"', ')'].join('\n');
      assert.equal(prompt(source, 'python'), 'You are terse.\nQ: Where was Ada born?\nA:');
    });

    it('adjacent literals on one line, and + with a backslash continuation, are joined', () => {
      assert.equal(prompt('x = "a" \'|b\'', 'python'), 'ab');
      assert.equal(prompt('x = "a" + \\\n    "|b"', 'python'), 'ab');
    });

    it('literals on separate lines outside brackets are separate statements', () => {
      assert.equal(prompt('x = "first"\ny = "sec|ond"', 'python'), 'second');
      assert.equal(prompt('call("a")\n"b|"', 'python'), 'b');
    });

    it('a # inside a string is not a comment, and a comment hides its quotes', () => {
      assert.equal(prompt('x = "# not |a comment"', 'python'), '# not a comment');
      assert.equal(prompt("# it's a comment\nx = 'in|side'", 'python'), 'inside');
      assert.equal(prompt("# it's |a| comment", 'python'), undefined);
    });

    it('identifiers ending in r, b, u or f are not string prefixes', () => {
      assert.equal(prompt('for_ = 1; buf"|x"', 'python'), 'x');
      assert.deepEqual(
        scanStringLiterals('number"x"', 'python').map((l) => [l.start, l.contentStart]),
        [[6, 7]],
      );
    });
  });

  it('knows which VS Code languages it reads', () => {
    assert.equal(literalLanguage('typescript'), 'js');
    assert.equal(literalLanguage('javascriptreact'), 'js');
    assert.equal(literalLanguage('python'), 'python');
    assert.equal(literalLanguage('markdown'), undefined);
  });
});
