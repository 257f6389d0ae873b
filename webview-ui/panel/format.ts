/** Number formats shared by the cards and the status line. */

export function percent(p: number): string {
  // Two significant digits below 0.1%, so rare alternatives stay distinguishable.
  return p >= 0.001 ? `${(p * 100).toFixed(1)}%` : `${(p * 100).toPrecision(2)}%`;
}

export function fixed(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : String(value);
}

export function bytes(n: number): string {
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(0)} kB`;
  return `${n} B`;
}

/** Makes whitespace in token text visible where it matters (a lone space or newline). */
export function visibleToken(text: string): string {
  return text.replace(/\n/g, '↵').replace(/^ /, '␣');
}
