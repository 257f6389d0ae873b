import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { compileEvalFree } from '../../../src/core/structured/evalFreeValidator';
import { revalidateRoutes, type RouteResult } from '../../../src/core/structured/routes';
import { checkSchema } from '../../../src/core/structured/schema';

const SCHEMAS = path.resolve(__dirname, '..', '..', 'fixtures', 'schemas');
const fixtures = fs.readdirSync(SCHEMAS).filter((f) => f.endsWith('.schema.json')).sort();

/** Values that break most schemas in different ways. */
const BREAKERS: unknown[] = [null, 42, 'text', [], {}, { name: 1 }, [1, 'a', null], { born: 1850, name: 'x', city: 'y', profession: 'z' }];

describe('the eval-free validator the webview worker uses', () => {
  for (const file of fixtures) {
    it(`agrees with ajv on ${file}: its examples and values that break it`, () => {
      const schema = JSON.parse(fs.readFileSync(path.join(SCHEMAS, file), 'utf8')) as { examples?: unknown[] };
      const ajv = checkSchema(schema, file);
      const evalFree = checkSchema(schema, file, { compile: compileEvalFree });
      for (const value of [...(schema.examples ?? []), ...BREAKERS]) {
        assert.equal(evalFree.validate(value).valid, ajv.validate(value).valid, `${file}: ${JSON.stringify(value)}`);
      }
    });
  }

  it('names the failing place as a JSON pointer', () => {
    const checked = checkSchema({ type: 'object', properties: { born: { type: 'integer', maximum: 1999 } } }, 's', { compile: compileEvalFree });
    const result = checked.validate({ born: 2050 });
    assert.equal(result.valid, false);
    assert.ok(result.issues.some((i) => i.path === '/born'), JSON.stringify(result.issues));
  });

  it('leaves the final verdict to ajv in the host', () => {
    const checked = checkSchema({ type: 'object', required: ['a'] }, 's');
    const route = { route: 'constrained', output: '{"b": 1}', valid: true, issues: [] } as unknown as RouteResult;
    const [again] = revalidateRoutes([route], checked);
    assert.equal(again!.valid, false);
    assert.match(again!.issues[0]!.message, /must have required property 'a'/);
  });
});
