/**
 * A suite's `model:` as the model resolvers take it: a relative folder is relative to the suite
 * file (where its author wrote it), not to whichever folder the editor or the CLI runs from; the
 * bundled name, a hub id and `endpoint:NAME` are passed on as written.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { suiteEndpointName } from '../core/prompttest';
import { isPlainModelName } from './modelFolder';

export function suiteModelSetting(model: string, suiteFile: string): string {
  if (suiteEndpointName(model) !== undefined || path.isAbsolute(model) || model === '~' || model.startsWith('~/')) return model;
  const beside = path.resolve(path.dirname(suiteFile), model);
  // "./x" and "../x" are always paths; "owner/name" is a folder only where one exists beside the suite, else a hub id.
  if (/^\.\.?[\\/]/.test(model) || (!isPlainModelName(model) && fs.existsSync(beside))) return beside;
  return model;
}
