/** JUnit XML as CI reads it: checked well-formed, then parsed with lists always as arrays. */
import * as assert from 'node:assert/strict';
import { XMLParser, XMLValidator } from 'fast-xml-parser';

export interface JUnitCase {
  '@_name': string;
  '@_classname': string;
  failure?: { '@_message': string; '#text': string };
  error?: { '@_message': string; '#text': string };
}

export interface JUnitSuite {
  '@_name': string;
  '@_tests': string;
  '@_failures': string;
  '@_errors': string;
  testcase: JUnitCase[];
}

export interface JUnitDocument {
  testsuites: { '@_tests': string; '@_failures': string; '@_errors': string; testsuite: JUnitSuite[] };
}

export function parseJUnit(xml: string): JUnitDocument {
  const valid = XMLValidator.validate(xml);
  assert.equal(valid, true, `not well-formed XML: ${JSON.stringify(valid)}`);
  const parser = new XMLParser({ ignoreAttributes: false, isArray: (name) => name === 'testsuite' || name === 'testcase' });
  return parser.parse(xml) as JUnitDocument;
}
