/**
 * Which model each prompt test case runs on: its suite's `model:` when the suite names one (a
 * relative folder taken from the suite's own folder), else samplingLab.model. Cases are grouped
 * by model, in the order their first case was asked for, so each model loads (or each endpoint
 * opens) once per run and no case silently runs on another model than its suite names.
 */
import { suiteModelSetting } from '../../node/suiteModel';
import type { CaseToRun } from './caseOutcomes';
import type { ModelGroup } from './endpointCases';

export function groupByModel(cases: readonly CaseToRun[], settingModel: string): ModelGroup[] {
  const groups = new Map<string, ModelGroup>();
  for (const c of cases) {
    const fromSuite = c.entry.model !== undefined;
    const model = fromSuite ? suiteModelSetting(c.entry.model!, c.entry.uri.fsPath) : settingModel;
    const key = JSON.stringify([model, fromSuite]);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { model, fromSuite, cases: [] }));
    group.cases.push(c);
  }
  return [...groups.values()];
}
