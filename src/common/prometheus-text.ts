/**
 * Prometheus text exposition (format 0.0.4), written by hand: counters and gauges are all the broker exports, so
 * a metrics SDK would add weight without adding anything the format needs.
 */
export type MetricType = 'counter' | 'gauge';

export type Labels = Readonly<Record<string, string>>;

export interface Sample {
  readonly labels: Labels;
  readonly value: number;
}

/** One metric family: its name as served (unit suffix included), type, help text and samples. */
export interface MetricFamily {
  readonly name: string;
  readonly type: MetricType;
  readonly help: string;
  readonly samples: readonly Sample[];
}

/** The whole exposition; every sample carries `common` labels first and the scrape's millisecond timestamp. */
export function formatPrometheusText(families: readonly MetricFamily[], common: Labels, timestampMillis: number): string {
  const out: string[] = [];
  for (const family of families) {
    if (family.samples.length === 0) continue;
    out.push(`# HELP ${family.name} ${escapeHelp(family.help)}`, `# TYPE ${family.name} ${family.type}`);
    for (const sample of family.samples) {
      const labels = Object.entries({ ...common, ...sample.labels })
        .map(([k, v]) => `${k}="${escapeLabelValue(v)}"`)
        .join(',');
      out.push(`${family.name}{${labels}} ${formatValue(sample.value)} ${timestampMillis}`);
    }
  }
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
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
