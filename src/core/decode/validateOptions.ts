import { StrategyError } from './strategies';

export interface OptionsToCheck {
  maxNewTokens: number;
  seed: number;
  samples: number;
  firstSample?: number;
}

/** Checks run options before any model work, naming the option and its range. */
export function validateDecodeOptions(options: OptionsToCheck, strategyCount: number): void {
  const check = (ok: boolean, setting: string, message: string) => {
    if (!ok) throw new StrategyError(message, setting);
  };
  check(strategyCount > 0, 'strategies', 'No strategies to run. Pick at least one, e.g. greedy or top_p.');
  check(Number.isInteger(options.maxNewTokens) && options.maxNewTokens >= 1 && options.maxNewTokens <= 4096,
    'maxNewTokens', `maxNewTokens must be an integer in [1, 4096] (got ${options.maxNewTokens}).`);
  check(Number.isInteger(options.samples) && options.samples >= 1 && options.samples <= 64,
    'samples', `samples must be an integer in [1, 64] (got ${options.samples}).`);
  check(Number.isInteger(options.seed) && options.seed >= 0 && options.seed <= 0xffffffff,
    'seed', `seed must be an integer in [0, 4294967295] (got ${options.seed}).`);
  const first = options.firstSample ?? 0;
  check(Number.isInteger(first) && first >= 0, 'firstSample', `firstSample must be an integer ≥ 0 (got ${first}).`);
}
