/** The monitoring files shipped in deploy/, read the way Prometheus and Grafana read them. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from './launcher.js';

export const ALERTS_PATH = 'deploy/prometheus/alerts.yml';
export const PROMETHEUS_PATH = 'deploy/prometheus/prometheus.yml';
export const DASHBOARD_PATH = 'deploy/grafana/pulse-dashboard.json';

export type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function list(v: unknown, what: string): unknown[] {
  if (!Array.isArray(v)) throw new Error(`${what} is not a list`);
  return v;
}

function obj(v: unknown, what: string): Obj {
  if (!isObj(v)) throw new Error(`${what} is not a mapping`);
  return v;
}

export function repoText(path: string): string {
  return readFileSync(join(REPO_ROOT, path), 'utf8');
}

export interface Rule {
  group: string;
  rule: Obj;
}

/** Every rule of alerts.yml with the name of its group. */
export function alertRules(): Rule[] {
  const doc = obj(parse(repoText(ALERTS_PATH)), ALERTS_PATH);
  return list(doc.groups, 'groups').flatMap((g, i) => {
    const group = obj(g, `group ${i}`);
    const name = String(group.name);
    return list(group.rules, `rules of ${name}`).map((r, j) => ({ group: name, rule: obj(r, `rule ${j} of ${name}`) }));
  });
}

export function prometheusConfig(): Obj {
  return obj(parse(repoText(PROMETHEUS_PATH)), PROMETHEUS_PATH);
}

export function dashboard(): Obj {
  return obj(JSON.parse(repoText(DASHBOARD_PATH)), DASHBOARD_PATH);
}

/** The dashboard's panels that draw something: rows are only headings, a collapsed one holds its panels. */
export function drawingPanels(dash: Obj): Obj[] {
  const walk = (panels: unknown): Obj[] =>
    list(panels ?? [], 'panels').flatMap((p, i) => {
      const panel = obj(p, `panel ${i}`);
      return panel.type === 'row' ? walk(panel.panels) : [panel];
    });
  return walk(dash.panels);
}

/** The PromQL of a panel's targets (a target without `expr` is left to the caller's checks). */
export function panelExprs(panel: Obj): string[] {
  return list(panel.targets ?? [], `targets of ${String(panel.title)}`).flatMap((t) => (isObj(t) && typeof t.expr === 'string' ? [t.expr] : []));
}

/** GitHub's anchors for a Markdown file's headings: lower case, punctuation dropped, spaces to hyphens. */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  // A shell comment in a code block is not a heading.
  const prose = markdown.replace(/^```[\s\S]*?^```/gm, '');
  for (const m of prose.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const text = (m[1] ?? '').replace(/`/g, '');
    anchors.add(
      text
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, '')
        .replace(/\s/g, '-'),
    );
  }
  return anchors;
}
