/** What a Prometheus text-format scrape (version 0.0.4) offers a query: its families and series names. */

export interface Scrape {
  /** Family name → type, from the `# TYPE` lines. */
  families: Map<string, string>;
  /** Names of the samples present, e.g. `x_bucket` of a histogram that has observations. */
  samples: Set<string>;
}

const TYPE_LINE = /^#\s*TYPE\s+([a-zA-Z_:][a-zA-Z0-9_:]*)\s+(\w+)\s*$/;
const SAMPLE_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{|\s)/;

export function parseExposition(text: string): Scrape {
  const families = new Map<string, string>();
  const samples = new Set<string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    if (line.startsWith('#')) {
      const type = TYPE_LINE.exec(line);
      if (type?.[1] && type[2]) families.set(type[1], type[2]);
      continue;
    }
    const sample = SAMPLE_LINE.exec(line);
    if (!sample?.[1]) throw new Error(`not a sample line: ${line}`);
    samples.add(sample[1]);
  }
  return { families, samples };
}

// The series of a family of each type: a histogram has none under its own name.
const SERIES_SUFFIXES: Record<string, readonly string[]> = {
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
};

/**
 * Every name a PromQL query can select from this scrape. A labelled histogram that has not observed
 * anything yet shows only its `# TYPE` line, yet its `_bucket` series are what a dashboard reads,
 * so names come from the declared families, not only from the samples present.
 */
export function queryableNames(scrape: Scrape): Set<string> {
  const names = new Set(scrape.samples);
  for (const [family, type] of scrape.families) {
    for (const suffix of SERIES_SUFFIXES[type] ?? ['']) names.add(family + suffix);
  }
  return names;
}
