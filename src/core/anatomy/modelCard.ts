/**
 * The facts the anatomy view takes from a model card (README.md): for now, how many tokens the
 * model was trained on. A machine-readable field in the card's YAML front matter wins:
 *
 *   ---
 *   training_tokens: 1382739
 *   ---
 *
 * Without one, two prose forms are recognised: "trained on 1.4M tokens" and the bold total of a
 * training section ("**1,382,739 target tokens** in all"). Anything else: unknown, not guessed.
 */

export interface ModelCardFacts {
  trainingTokens?: number;
  /** Where the figure came from, for the view to cite. */
  trainingTokensSource?: 'front matter' | 'prose';
}

const SUFFIX: Record<string, number> = { k: 1e3, m: 1e6, b: 1e9, t: 1e12 };

function parseCount(digits: string, suffix?: string): number | undefined {
  const n = Number(digits.replace(/[,_\s]/g, ''));
  if (!Number.isFinite(n) || n <= 0) return undefined;
  return Math.round(n * (suffix ? SUFFIX[suffix.toLowerCase()] ?? 1 : 1));
}

export function factsFromModelCard(markdown: string): ModelCardFacts {
  const text = markdown.replace(/\r\n/g, '\n');
  const front = /^---\n([\s\S]*?)\n---(?:\n|$)/.exec(text);
  if (front) {
    const line = /^\s*training_tokens\s*:\s*["']?([\d,_.]+)\s*([kmbt])?["']?\s*$/im.exec(front[1]!);
    const n = line ? parseCount(line[1]!, line[2]) : undefined;
    if (n !== undefined) return { trainingTokens: n, trainingTokensSource: 'front matter' };
  }
  const total = /\*\*([\d,]+) (?:target |training )?tokens\*\* in all/i.exec(text);
  if (total) {
    const n = parseCount(total[1]!);
    if (n !== undefined) return { trainingTokens: n, trainingTokensSource: 'prose' };
  }
  const trained = /trained on (?:about |roughly |~)?([\d,.]+)\s*([kmbt])?\s*tokens/i.exec(text);
  if (trained) {
    const n = parseCount(trained[1]!, trained[2]);
    if (n !== undefined) return { trainingTokens: n, trainingTokensSource: 'prose' };
  }
  return {};
}
