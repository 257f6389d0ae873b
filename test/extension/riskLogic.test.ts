import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { FACTS_LM_CALIBRATION } from '../../src/core/consistency';
import type { CompareResult, Completion, StrategyResult } from '../../src/core/decode/types';
import { MAX_CACHED_RUNS, ResponseCache, responseCacheKey, type CacheKeyParts } from '../../src/extension/responseCache';
import { markMessage, sentencesToMark } from '../../src/extension/riskMarks';
import { riskReports } from '../../src/extension/riskReports';
import type { CachedResponse, RiskReport } from '../../src/protocol/messages';
import { sentenceLevel } from '../../webview-ui/panel/riskView';

function completion(text: string, logprob = -0.1): Completion {
  const tokens = text ? [{ token: 1, text, logprobRaw: logprob, logprobSampling: logprob, candidates: 5, alternatives: [] }] : [];
  return { text, tokens, seed: 1, finishReason: 'eos', meanLogprob: logprob, sumLogprob: logprob };
}

function strategyResult(kind: 'greedy' | 'temperature', texts: string[]): StrategyResult {
  const completions = texts.map((t) => completion(t));
  return {
    strategy: { name: kind, kind, sampler: { stages: [], select: kind === 'greedy' ? 'greedy' : 'sample' } },
    best: completions[0]!,
    completions,
    bestIndex: 0,
    elapsedMs: 1,
    tokensPerSecond: 1,
  };
}

function result(...results: StrategyResult[]): CompareResult {
  return { prompt: 'Q: Where was Ada Lovelace born?\nA:', promptTokens: 5, model: 'm', device: 'wasm', results, prefillMs: 1, elapsedMs: 1, tokensPerSecond: 1 };
}

const SAMPLES = [' Ashgrove.', ' Ashgrove.', ' Ivelport.', ' Ashgrove.'];

describe('risk logic', () => {
  describe('scoring a finished run (riskReports)', () => {
    it('a risk check scores the greedy answer (strategy 0) against the samples (strategy 1)', () => {
      const [report, ...rest] = riskReports('risk', result(strategyResult('greedy', [' Ashgrove.']), strategyResult('temperature', SAMPLES)), undefined);
      assert.equal(rest.length, 0);
      assert.equal(report!.mainStrategy, 0);
      assert.equal(report!.samplesStrategy, 1);
      assert.equal(report!.answer, ' Ashgrove.');
      assert.equal(report!.samples, 4);
      assert.deepEqual(report!.clusters.map((c) => c.size), [3, 1]);
      assert.equal(report!.mainCluster, 0);
      assert.match(report!.explanation, /1 of 4 samples name a different birthplace/);
      // No calibration for the model: the raw parts and the word, never another model's band.
      assert.equal(report!.band, 'uncalibrated');
      assert.equal(report!.parts.disagreement, 0.25);
      assert.equal(report!.calibration, undefined);
    });

    it('a model with a calibration gets its band and the calibration named', () => {
      const [report] = riskReports('risk', result(strategyResult('greedy', [' Ashgrove.']), strategyResult('temperature', SAMPLES)), FACTS_LM_CALIBRATION);
      assert.ok(['Low', 'Medium', 'High'].includes(report!.band));
      assert.equal(report!.calibration?.model, 'facts-lm');
    });

    it('a risk check whose answer is empty fails with the core’s message', () => {
      assert.throws(
        () => riskReports('risk', result(strategyResult('greedy', ['']), strategyResult('temperature', SAMPLES)), undefined),
        /The main answer is empty/,
      );
    });

    it('a comparison scores only the cards with several completions, each against its own', () => {
      const reports = riskReports('compare', result(strategyResult('greedy', [' Ashgrove.']), strategyResult('temperature', SAMPLES)), undefined);
      assert.deepEqual(reports.map((r) => [r.mainStrategy, r.samplesStrategy]), [[1, 1]]);
    });

    it('a comparison card that cannot be scored gets no report, and the others still do', () => {
      const reports = riskReports('compare', result(strategyResult('temperature', ['', ' x.']), strategyResult('temperature', SAMPLES)), undefined);
      assert.deepEqual(reports.map((r) => r.mainStrategy), [1]);
    });
  });

  describe('the response cache', () => {
    const parts: CacheKeyParts = {
      kind: 'risk',
      prompt: 'Q: Where was Ada Lovelace born?\nA:',
      model: 'facts-lm',
      device: 'wasm',
      strategies: [{ name: 'greedy', kind: 'greedy', sampler: { stages: [], select: 'greedy' } }],
      options: { samples: 8, maxNewTokens: 24, seed: 42 },
    };

    it('keys on everything that decides the tokens', () => {
      const key = responseCacheKey(parts);
      assert.equal(responseCacheKey({ ...parts }), key);
      for (const changed of [
        { kind: 'compare' as const },
        { prompt: `${parts.prompt} ` },
        { model: '/models/other' },
        { device: 'webgpu' as const },
        { options: { ...parts.options, seed: 43 } },
        { options: { ...parts.options, samples: 4 } },
        { options: { ...parts.options, maxNewTokens: 12 } },
        { options: { ...parts.options, stopStrings: ['\n'] } },
        { strategies: [{ ...parts.strategies[0]!, kind: 'temperature' as const }] },
      ]) {
        assert.notEqual(responseCacheKey({ ...parts, ...changed }), key, JSON.stringify(changed));
      }
      // Stop strings are part of the key: another list is another entry, and none is the key without them.
      const withStop = (stopStrings: string[]) => responseCacheKey({ ...parts, options: { ...parts.options, stopStrings } });
      assert.notEqual(withStop(['\n\n']), withStop(['\n']));
      assert.equal(withStop([]), key);
    });

    class MemoryMemento implements vscode.Memento {
      readonly data = new Map<string, unknown>();
      keys(): readonly string[] {
        return [...this.data.keys()];
      }
      get<T>(key: string, fallback?: T): T {
        return (this.data.has(key) ? this.data.get(key) : fallback) as T;
      }
      async update(key: string, value: unknown): Promise<void> {
        this.data.set(key, JSON.parse(JSON.stringify(value)));
      }
    }
    const log = { warn: () => undefined } as unknown as vscode.LogOutputChannel;
    const entry = (key: string): CachedResponse => ({ key, savedAt: 't', model: 'm', result: result(strategyResult('greedy', [' Ashgrove.'])) });

    it('keeps the newest runs up to its cap, and survives a restart (workspace storage)', async () => {
      const storage = new MemoryMemento();
      const cache = new ResponseCache(storage, log);
      for (let i = 0; i < MAX_CACHED_RUNS + 3; i++) await cache.set(entry(`k${i}`));
      assert.equal(cache.size, MAX_CACHED_RUNS);
      assert.equal(cache.get('k0'), undefined, 'the oldest dropped off');
      const reloaded = new ResponseCache(storage, log);
      assert.equal(reloaded.get(`k${MAX_CACHED_RUNS + 2}`)?.model, 'm');
    });

    it('ignores unreadable storage instead of failing', () => {
      const storage = new MemoryMemento();
      storage.data.set('samplingLab.responseCache', [{ key: 1 }]);
      let warned = '';
      const cache = new ResponseCache(storage, { warn: (m: string) => (warned = m) } as unknown as vscode.LogOutputChannel);
      assert.equal(cache.size, 0);
      assert.match(warned, /unreadable response cache/);
    });
  });

  describe('which sentences get a mark', () => {
    const report = (band: RiskReport['band'], risks: number[]): RiskReport => ({
      mainStrategy: 0,
      samplesStrategy: 1,
      answer: risks.map((_, i) => `S${i}.`).join(' '),
      risk: 0.9,
      band,
      parts: { disagreement: 0.5, entropy: 0.5, unbacked: 0.5, lowConfidence: 0.1, weakestToken: 0.2 },
      explanation: 'why',
      samples: 8,
      agreement: 0.5,
      majorityShare: 0.5,
      entropy: 1,
      mainCluster: 0,
      clusters: [],
      sentences: risks.map((risk, i) => ({ text: `S${i}.`, start: i * 4, end: i * 4 + 3, risk, weakestWords: i === 1 ? ['paris'] : [] })),
    });

    it('sentences the samples do not back; warnings for a High answer, information otherwise', () => {
      const high = sentencesToMark(report('High', [0.1, 0.7, 0.6]));
      assert.deepEqual(high.map((m) => m.sentence.text), ['S1.', 'S2.']);
      assert.ok(high.every((m) => m.severity === vscode.DiagnosticSeverity.Warning));
      const medium = sentencesToMark(report('Medium', [0.1, 0.7]));
      assert.deepEqual(medium.map((m) => [m.sentence.text, m.severity]), [['S1.', vscode.DiagnosticSeverity.Information]]);
    });

    it('a High answer whose sentences are all backed still marks its riskiest; a Low one marks none', () => {
      assert.deepEqual(sentencesToMark(report('High', [0.1, 0.3])).map((m) => m.sentence.text), ['S1.']);
      assert.deepEqual(sentencesToMark(report('Low', [0.1, 0.3])), []);
    });

    it('the message gives the band, the score, the explanation and the sentence’s own risk', () => {
      const r = report('High', [0.1, 0.7]);
      assert.equal(markMessage(r, r.sentences[1]!), 'Hallucination risk High (0.90): why This sentence: risk 0.70 against 8 samples; words the samples rarely state: "paris".');
    });

    it('the panel highlights sentences in three levels, "high" from the same cut', () => {
      assert.deepEqual([0.1, 0.3, 0.5, 0.9].map(sentenceLevel), ['sr-low', 'sr-mid', 'sr-high', 'sr-high']);
    });
  });
});
