/**
 * Mirostat 2.0 (Basu et al. 2021, "Mirostat: A Neural Text Decoding Algorithm that Directly
 * Controls Perplexity", arXiv:2007.14966, Algorithm 2; llama.cpp mirostat_v2): keeps the tokens
 * whose surprise −log₂ p is at most μ (at least one), and after each token moves μ by
 * η × (τ − observed surprise), so the text's surprise tracks the target τ. μ starts at 2τ and
 * lives in the chain, one per sequence; the observed surprise is the chosen token's under the
 * final distribution (llama.cpp: under mirostat's own, which is the same when mirostat is last).
 */
import { keepAbove, probabilityThreshold } from './candidates';
import { checkParam } from './checkParam';
import { defineStage, show } from './stage';

export const mirostatV2Stage = defineStage<'mirostat_v2'>({
  type: 'mirostat_v2',
  aliases: ['mirostat', 'mirostat-v2', 'mirostat2'],
  title: 'Mirostat 2.0',
  summary: 'Keeps tokens with surprise ≤ μ and steers μ so the surprise tracks τ (Basu et al. 2021, arXiv:2007.14966; llama.cpp mirostat_v2).',
  params: [
    { kind: 'number', field: 'tau', setting: 'mirostatTau', flag: '--mirostat-tau', help: 'mirostat 2.0: target surprise τ in bits (> 0; 5 is usual)', enables: true, min: 0, minOpen: true, max: Infinity, default: 5, control: { min: 0.5, max: 10, step: 0.1 } },
    { kind: 'number', field: 'eta', setting: 'mirostatEta', flag: '--mirostat-eta', help: 'mirostat 2.0: learning rate η (> 0; 0.1 is usual)', min: 0, minOpen: true, max: 1, default: 0.1, control: { min: 0.01, max: 1, step: 0.01 } },
  ],
  label: (s) => `mirostat_v2(tau=${show(s.tau)}, eta=${show(s.eta ?? 0.1)})`,
  isNoOp: () => false,
  keepsTop: true,
  readsProbabilities: () => true,
  create: (s) => {
    checkParam(mirostatV2Stage, 'tau', s.tau);
    const eta = s.eta ?? 0.1;
    let mu = 2 * s.tau;
    return {
      apply: (c, ctx) => {
        if (c.size <= 1) return;
        keepAbove(c, probabilityThreshold(c, Math.pow(2, -mu)), Math.max(1, ctx.minKeep));
      },
      accept: (_token, logprobSampling) => {
        const observed = -logprobSampling / Math.LN2;
        mu -= eta * (observed - s.tau);
      },
    };
  },
});
