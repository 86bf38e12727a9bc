import type { Histogram } from './histogram.js';

/**
 * Prometheus text exposition (format 0.0.4), written by hand: counters, gauges and explicit-bucket histograms are
 * all the servers export, so a metrics SDK would add weight without adding anything the format needs.
 */
export type MetricType = 'counter' | 'gauge' | 'histogram';

export type Labels = Readonly<Record<string, string>>;

export interface Sample {
  readonly labels: Labels;
  readonly value: number;
}

/** One histogram series: its labels and the histogram (bounds, per-bucket counts, sum and count). */
export interface HistogramSample {
  readonly labels: Labels;
  readonly histogram: Histogram;
}

/** One metric family: its name as served (unit suffix included), type, help text and samples. */
export type MetricFamily =
  | { readonly name: string; readonly type: 'counter' | 'gauge'; readonly help: string; readonly samples: readonly Sample[] }
  | { readonly name: string; readonly type: 'histogram'; readonly help: string; readonly samples: readonly HistogramSample[] };

/** The whole exposition; every sample carries `common` labels first and the scrape's millisecond timestamp. */
export function formatPrometheusText(families: readonly MetricFamily[], common: Labels, timestampMillis: number): string {
  const out: string[] = [];
  for (const family of families) {
    if (family.samples.length === 0) continue;
    out.push(`# HELP ${family.name} ${escapeHelp(family.help)}`, `# TYPE ${family.name} ${family.type}`);
    if (family.type !== 'histogram') {
      for (const sample of family.samples) {
        out.push(`${family.name}{${formatLabels(common, sample.labels)}} ${formatValue(sample.value)} ${timestampMillis}`);
      }
      continue;
    }
    // The series of a histogram: cumulative `_bucket` counts up to each bound and +Inf, then `_count` and `_sum`.
    for (const { labels, histogram } of family.samples) {
      const text = formatLabels(common, labels);
      const sep = text === '' ? '' : ',';
      let cumulative = 0;
      histogram.bounds.forEach((bound, i) => {
        cumulative += histogram.counts[i] ?? 0;
        out.push(`${family.name}_bucket{${text}${sep}le="${formatValue(bound)}"} ${formatValue(cumulative)} ${timestampMillis}`);
      });
      out.push(`${family.name}_bucket{${text}${sep}le="+Inf"} ${formatValue(histogram.count)} ${timestampMillis}`);
      out.push(`${family.name}_count{${text}} ${formatValue(histogram.count)} ${timestampMillis}`);
      out.push(`${family.name}_sum{${text}} ${formatValue(histogram.sum)} ${timestampMillis}`);
    }
  }
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}

function formatLabels(common: Labels, labels: Labels): string {
  return Object.entries({ ...common, ...labels })
    .map(([k, v]) => `${k}="${escapeLabelValue(v)}"`)
    .join(',');
}

/** Label values escape backslash, double quote and newline. */
function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** HELP text escapes backslash and newline. */
function escapeHelp(help: string): string {
  return help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** Java's exporter writes doubles ("5.0"); NaN and infinities have their Prometheus spellings. */
function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '+Inf' : '-Inf';
  return Number.isInteger(value) ? `${value}.0` : String(value);
}
