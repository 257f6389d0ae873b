/**
 * "Sampling Lab: Check Hallucination Risk": on the selected question, a greedy main answer and
 * N samples at temperature T (`samplingLab.risk.*`), decoded in one batch in the panel's worker,
 * then scored for self-consistency (core/consistency) by the runner. The panel shows the risk
 * card; Insert marks the answer's risky sentences in the editor.
 *
 * No stop strings: the answer ends at EOS or `samplingLab.maxNewTokens`, as in a comparison.
 */
import { strategyFromSettings } from '../../core/decode/strategies';
import type { RunRecord } from '../../protocol/messages';
import type { Runner } from '../runner';
import { readRiskSettings, readSettings, SECTION } from '../settings';
import { editorRun, promptFromEditor } from './promptFromEditor';

export interface CheckRiskArgs {
  /** Skips the editor and input box (tests, other commands). */
  prompt?: string;
}

export async function checkRisk(runner: Runner, args: CheckRiskArgs = {}): Promise<RunRecord | undefined> {
  const settings = readSettings();
  const risk = readRiskSettings();
  const target = await promptFromEditor(args.prompt);
  if (!target) return undefined;
  return runner.run({
    kind: 'risk',
    ...editorRun(target, settings),
    strategies: [
      strategyFromSettings({ kind: 'greedy', name: 'main answer (greedy)' }),
      strategyFromSettings({ kind: 'temperature', temperature: risk.temperature, name: `${risk.samples} samples at T=${risk.temperature}` }, `${SECTION}.risk`),
    ],
    options: { ...settings.options, samples: risk.samples },
  });
}
