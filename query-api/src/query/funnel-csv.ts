import { comparedColumns, csvFormatText, csvRecord, type CsvCell } from './csv.js';
import type { FunnelScope } from './funnel-plan.js';
import { countField, type FunnelStepResult, type StepFigures } from './funnel-run.js';

/** The `text/csv` answer of `POST /v1/funnel`, word for word in the OpenAPI document. */
export const FUNNEL_CSV_TEXT = csvFormatText(
  'A header row `step,label,visits,conversion_rate,conversion_rate_step,dropoff` (`visitors` in place of `visits` with `scope: "visitor"`), then one record per step, in order, `step` numbered from 1. With `compare`, more columns follow: each figure\'s value in the compared range (`visits_previous`, `conversion_rate_previous`, …), then its change (`visits_change`, …, as `comparison.change`).',
  ['X-Pulse-Complete-Through'],
);

/** A funnel's JSON answer, as far as its CSV needs it. */
export interface FunnelPayload {
  steps: FunnelStepResult[];
  meta: { scope: FunnelScope; compare_range?: unknown };
}

/** The figures of a step, in the columns' order: the count, its rates, the dropoff. */
function figureNames(scope: FunnelScope): (keyof StepFigures)[] {
  return [countField(scope), 'conversion_rate', 'conversion_rate_step', 'dropoff'];
}

/** The whole CSV body: the header row, then one record per step, with the comparison's columns when compared. */
export function funnelCsv(payload: FunnelPayload): string {
  const figures = figureNames(payload.meta.scope);
  const compared = payload.meta.compare_range !== undefined;
  const parts = [csvRecord(['step', 'label', ...figures, ...(compared ? comparedColumns(figures) : [])])];
  payload.steps.forEach((s, i) => {
    const cells: (CsvCell | undefined)[] = [i + 1, s.label, ...figures.map((f) => s[f])];
    if (compared) {
      const c = s.comparison;
      cells.push(...figures.map((f) => c?.[f]), ...figures.map((f) => c?.change[f]));
    }
    parts.push(csvRecord(cells));
  });
  return parts.join('');
}
