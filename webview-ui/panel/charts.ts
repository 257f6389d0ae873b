/** Small SVG charts in theme colours, built without a library. */
const SVG = 'http://www.w3.org/2000/svg';

export function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

export interface LineSeries {
  name: string;
  /** CSS colour, e.g. var(--vscode-charts-blue). */
  colour: string;
  values: number[];
  /** The value at the top of the plot. */
  max: number;
}

/** A line chart of several series over shared x values; each point is focusable with its values. */
export function lineChart(xs: number[], series: LineSeries[], label: string, describe: (i: number) => string): SVGSVGElement {
  const W = 320;
  const H = 120;
  const pad = { l: 28, r: 22, t: 8, b: 18 };
  const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'line-chart', role: 'group', 'aria-label': label });
  const x = (i: number) => pad.l + (i / Math.max(1, xs.length - 1)) * (W - pad.l - pad.r);
  const y = (v: number, max: number) => H - pad.b - (max > 0 ? v / max : 0) * (H - pad.t - pad.b);
  root.append(svg('line', { x1: pad.l, y1: H - pad.b, x2: W - pad.r, y2: H - pad.b, class: 'axis' }));
  root.append(svg('line', { x1: pad.l, y1: pad.t, x2: pad.l, y2: H - pad.b, class: 'axis' }));
  for (const i of [0, Math.floor((xs.length - 1) / 2), xs.length - 1]) {
    const t = svg('text', { x: x(i), y: H - 4, 'text-anchor': 'middle', class: 'tick' });
    t.textContent = `T ${xs[i]!.toFixed(1)}`;
    root.append(t);
  }
  for (const s of series) {
    root.append(svg('polyline', { points: s.values.map((v, i) => `${x(i)},${y(v, s.max)}`).join(' '), fill: 'none', stroke: s.colour, 'stroke-width': 2 }));
  }
  const dots = xs.map((_, i) => {
    const dot = svg('circle', { cx: x(i), cy: y(series[0]!.values[i]!, series[0]!.max), r: 3, fill: series[0]!.colour, role: 'img', 'aria-label': describe(i), class: 'point' });
    const title = svg('title');
    title.textContent = describe(i);
    dot.append(title);
    root.append(dot);
    return dot;
  });
  rovingFocus(root, dots);
  return root;
}

/**
 * One tab stop for a list of chart items (bars, sweep points): the first item (or `start`) is the
 * stop; arrow keys, Home and End move focus inside the list (a roving tabindex), so a 30-bar chart
 * is one Tab away from the next control instead of 30.
 */
export function rovingFocus(container: Element, items: readonly SVGElement[], start = 0): void {
  items.forEach((item, i) => item.setAttribute('tabindex', i === start ? '0' : '-1'));
  container.addEventListener('keydown', (e) => {
    const event = e as KeyboardEvent;
    const current = items.indexOf(event.target as SVGElement);
    if (current < 0) return;
    const last = items.length - 1;
    const next =
      event.key === 'ArrowDown' || event.key === 'ArrowRight' ? Math.min(last, current + 1)
      : event.key === 'ArrowUp' || event.key === 'ArrowLeft' ? Math.max(0, current - 1)
      : event.key === 'Home' ? 0
      : event.key === 'End' ? last
      : undefined;
    if (next === undefined) return;
    event.preventDefault();
    items[current]!.setAttribute('tabindex', '-1');
    items[next]!.setAttribute('tabindex', '0');
    items[next]!.focus();
  });
}
