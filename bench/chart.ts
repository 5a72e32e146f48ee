/**
 * Grouped bar charts as standalone SVG, written by hand so that the report needs no plotting
 * library: one panel per measure, one group of bars per workload, one bar per system, on a
 * logarithmic axis (the systems differ by orders of magnitude, and a linear axis would flatten
 * the slow ones to nothing). Every bar carries its value as text and as a tooltip.
 */

export interface ChartSeries {
  readonly name: string;
  /** One value per group; undefined (not measured, or failed) leaves a gap marked "n/a". */
  readonly values: readonly (number | undefined)[];
}

export interface ChartPanel {
  readonly title: string;
  /** The axis label, e.g. "ops/s". */
  readonly unit: string;
  readonly groups: readonly string[];
  readonly series: readonly ChartSeries[];
}

/** Okabe and Ito's palette: tells the bars apart for colour-blind readers too. */
const COLORS = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442'];

const WIDTH = 1100;
const PANEL_HEIGHT = 330;
const MARGIN = { left: 70, right: 20, top: 40, bottom: 58 };
const TITLE_HEIGHT = 56;

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) =>
    c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&apos;',
  );
}

/** 950, 12k, 1.3M: short enough to sit above a narrow bar. */
export function compactNumber(v: number): string {
  const abs = Math.abs(v);
  const scaled = (x: number, suffix: string): string =>
    `${x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1).replace(/\.0$/, '') : x.toFixed(2).replace(/\.?0+$/, '')}${suffix}`;
  if (abs >= 1e6) return scaled(v / 1e6, 'M');
  if (abs >= 1e3) return scaled(v / 1e3, 'k');
  return scaled(v, '');
}

/** The decades [10^lo, 10^hi] that hold every positive value. */
export function logDomain(values: readonly number[]): { lo: number; hi: number } {
  const positive = values.filter((v) => v > 0 && Number.isFinite(v));
  if (positive.length === 0) return { lo: 0, hi: 1 };
  const lo = Math.floor(Math.log10(Math.min(...positive)));
  let hi = Math.ceil(Math.log10(Math.max(...positive)));
  if (hi === lo) hi++;
  return { lo, hi };
}

function panelSvg(panel: ChartPanel, top: number): string[] {
  const out: string[] = [];
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = PANEL_HEIGHT - MARGIN.top - MARGIN.bottom;
  const x0 = MARGIN.left;
  const y0 = top + MARGIN.top;
  const values = panel.series.flatMap((s) => s.values.filter((v): v is number => v !== undefined));
  const { lo, hi } = logDomain(values);
  const y = (v: number): number => y0 + plotH - ((Math.log10(v) - lo) / (hi - lo)) * plotH;

  out.push(`<text x="${x0}" y="${top + 24}" class="panel-title">${escapeXml(panel.title)}</text>`);
  for (let d = lo; d <= hi; d++) {
    const v = 10 ** d;
    const gy = y(v).toFixed(1);
    out.push(`<line x1="${x0}" x2="${x0 + plotW}" y1="${gy}" y2="${gy}" class="grid"/>`);
    out.push(
      `<text x="${x0 - 6}" y="${gy}" class="tick" text-anchor="end" dy="0.32em">${compactNumber(v)}</text>`,
    );
  }
  out.push(
    `<text transform="translate(16 ${(y0 + plotH / 2).toFixed(1)}) rotate(-90)" class="axis" text-anchor="middle">${escapeXml(panel.unit)} (log scale)</text>`,
  );
  const groupW = plotW / Math.max(1, panel.groups.length);
  const barW = Math.min(30, (groupW * 0.8) / Math.max(1, panel.series.length));
  panel.groups.forEach((group, g) => {
    const gx = x0 + g * groupW + (groupW - barW * panel.series.length) / 2;
    panel.series.forEach((s, k) => {
      const bx = gx + k * barW;
      const v = s.values[g];
      const cx = (bx + barW / 2).toFixed(1);
      if (v === undefined || !(v > 0) || !Number.isFinite(v)) {
        out.push(
          `<text x="${cx}" y="${(y0 + plotH - 4).toFixed(1)}" class="na" text-anchor="middle">n/a</text>`,
        );
        return;
      }
      const by = y(v);
      const label = `${s.name}, ${group}: ${compactNumber(v)} ${panel.unit}`;
      out.push(
        `<rect x="${bx.toFixed(1)}" y="${by.toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${(y0 + plotH - by).toFixed(1)}" fill="${COLORS[k % COLORS.length]!}"><title>${escapeXml(label)}</title></rect>`,
      );
      out.push(
        `<text x="${cx}" y="${(by - 3).toFixed(1)}" class="value" text-anchor="middle">${compactNumber(v)}</text>`,
      );
    });
    out.push(
      `<text x="${(x0 + (g + 0.5) * groupW).toFixed(1)}" y="${y0 + plotH + 18}" class="group" text-anchor="middle">${escapeXml(group)}</text>`,
    );
  });
  out.push(
    `<line x1="${x0}" x2="${x0 + plotW}" y1="${y0 + plotH}" y2="${y0 + plotH}" class="baseline"/>`,
  );
  return out;
}

/** One SVG document: a title, a legend of the first panel's series, then the panels. */
export function barChartSvg(
  title: string,
  subtitle: string,
  panels: readonly ChartPanel[],
): string {
  const height = TITLE_HEIGHT + panels.length * PANEL_HEIGHT;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">`,
    '<style>',
    '.title{font-size:18px;font-weight:bold}.subtitle{font-size:11px;fill:#444}',
    '.panel-title{font-size:14px;font-weight:bold}.tick,.axis{font-size:11px;fill:#333}',
    '.group{font-size:11px;fill:#111}.value{font-size:8px;fill:#222}.na{font-size:9px;fill:#999}',
    '.legend{font-size:12px}.grid{stroke:#ddd;stroke-width:1}.baseline{stroke:#333;stroke-width:1}',
    '</style>',
    `<rect width="${WIDTH}" height="${height}" fill="#fff"/>`,
    `<text x="${MARGIN.left}" y="24" class="title">${escapeXml(title)}</text>`,
    `<text x="${MARGIN.left}" y="42" class="subtitle">${escapeXml(subtitle)}</text>`,
  ];
  let lx = WIDTH - MARGIN.right;
  const legend = [...(panels[0]?.series ?? [])].reverse();
  legend.forEach((s, r) => {
    const k = legend.length - 1 - r;
    // Right-aligned: about 7 px per character at 12 px.
    lx -= 24 + s.name.length * 7;
    out.push(
      `<rect x="${lx}" y="${TITLE_HEIGHT + 10}" width="12" height="12" fill="${COLORS[k % COLORS.length]!}"/>`,
    );
    out.push(
      `<text x="${lx + 16}" y="${TITLE_HEIGHT + 20}" class="legend">${escapeXml(s.name)}</text>`,
    );
  });
  panels.forEach((p, k) => out.push(...panelSvg(p, TITLE_HEIGHT + k * PANEL_HEIGHT)));
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
