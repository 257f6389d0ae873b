/**
 * Strategies as the panel shows them: with the sampler chain's own description of its stages
 * in the order they run (describeSampler, the same text the CLI prints), so the card says
 * exactly what ran.
 */
import { describeSampler } from '../core/sampling/chain';
import type { Strategy } from '../core/decode/types';
import type { StrategyView } from '../protocol/messages';

export function strategyViews(strategies: readonly Strategy[]): StrategyView[] {
  return strategies.map((strategy) => ({ strategy, chain: describeChain(strategy) }));
}

function describeChain(strategy: Strategy): string {
  const chain = describeSampler(strategy.sampler);
  return strategy.candidates ? `${chain}, best of ${strategy.candidates} by mean log-prob` : chain;
}
