import { isTimeDimension } from './catalog.js';

/**
 * Answers as CSV (RFC 4180): what `POST /v1/query` and `POST /v1/funnel` answer to `Accept: text/csv`,
 * written from the same rows as the JSON answer. The fields and records here are every CSV's; the
 * reports' columns too (funnel-csv.ts has the funnels').
 */

/**
 * What a CSV answer holds, word for word in the OpenAPI document: the encoding and cell rules every
 * CSV of the API follows, around what its columns are (`columns`) and which headers carry `meta`.
 */
export function csvFormatText(columns: string, metaHeaders: readonly string[]): string {
  return [
    'RFC 4180, UTF-8 (no byte order mark), CRLF line ends.',
    columns,
    'Numbers are written as JSON writes them (no thousands separators), null as an empty field, the empty string as `""`. A field with `"`, `,`, `;`, TAB, CR or LF is quoted, quotes doubled. Text starting with `=`, `+`, `-`, `@`, TAB or CR gets a leading `\'` so spreadsheets do not run it as a formula (OWASP CSV injection); numbers never do.',
    `\`meta\` goes in headers: ${metaHeaders.map((h) => `\`${h}\``).join(', ')}.`,
  ].join(' ');
}

/** The `text/csv` answer of `POST /v1/query`. */
export const CSV_FORMAT_TEXT = csvFormatText(
  'A header row of the dimensions then the metrics, named as requested, then one record per row of `results`, in the same order. With `compare`, more columns follow: for each time dimension its compared bucket (`time:day_previous`; other dimensions match by value), then each metric\'s value in the compared range (`visitors_previous`), then its change (`visitors_change`, as `comparison.change`); a row without a counterpart leaves them empty.',
  ['X-Pulse-Complete-Through', 'X-Pulse-Warnings', 'X-Pulse-Has-More'],
);

/** A value of a report: text (dimension values), a number (metrics), or null (nothing to say). */
export type CsvCell = string | number | null;

/**
 * Text a spreadsheet would run as a formula (OWASP "CSV Injection"): a page path, referrer or prop
 * value is whatever a visitor's browser sent, and `=HYPERLINK(...)` must stay text.
 */
const FORMULA_START = /^[=+\-@\t\r]/;
/**
 * Fields quoted: RFC 4180's (quote, comma, CR, LF), plus `;` and TAB, which spreadsheets set to
 * other locales take as the separator: quoted, a guarded value cannot start a cell there either.
 */
const NEEDS_QUOTES = /[",;\t\r\n]/;

/**
 * One field. Numbers as JSON writes them (`1234.5`, never `1,234.5`; a non-finite one, which JSON
 * writes as null, empty), null as an empty field, the empty string as `""` so the two stay apart for
 * readers that tell them apart (PostgreSQL's and DuckDB's `COPY`). Text starting with `=`, `+`, `-`,
 * `@`, TAB or CR gets a leading `'`: numbers never do (a change of -12.5 stays a number).
 */
export function csvField(cell: CsvCell | undefined): string {
  if (cell === null || cell === undefined) return '';
  if (typeof cell === 'number') return Number.isFinite(cell) ? JSON.stringify(cell) : '';
  if (cell === '') return '""';
  const text = FORMULA_START.test(cell) ? `'${cell}` : cell;
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One record, CRLF-terminated (the last one too, as RFC 4180 allows). */
export function csvRecord(cells: readonly (CsvCell | undefined)[]): string {
  return `${cells.map(csvField).join(',')}\r\n`;
}

/** A report's rows as the JSON answer carries them (`results[]`). */
export interface ReportRow {
  dimensions: readonly CsvCell[];
  metrics: readonly CsvCell[];
  /** With `compare`: the matching group of the other range; absent when it has none. */
  comparison?: { dimensions: readonly CsvCell[]; metrics: readonly CsvCell[]; change: readonly CsvCell[] };
}

export interface ReportTable {
  /** As requested (`meta.dimensions`, `meta.metrics`): the header row names them so. */
  dimensions: readonly string[];
  metrics: readonly string[];
  /** The query had `compare`: the comparison columns are there even when no row has a comparison. */
  compared: boolean;
  rows: readonly ReportRow[];
}

/** The columns a comparison adds for these values: each one's compared value (`visitors_previous`), then each one's change (`visitors_change`). */
export function comparedColumns(names: readonly string[]): string[] {
  return [...names.map((n) => `${n}_previous`), ...names.map((n) => `${n}_change`)];
}

/**
 * The header row: the dimensions, then the metrics, as requested. With `compare`, then each time
 * dimension's compared bucket (`time:day_previous`: buckets are matched by position, so it is
 * another instant; other dimensions match by value and are the row's own), each metric's value in
 * the compared range (`visitors_previous`) and its change (`visitors_change`, as `comparison.change`).
 */
export function reportColumns(table: Pick<ReportTable, 'dimensions' | 'metrics' | 'compared'>): string[] {
  const head = [...table.dimensions, ...table.metrics];
  if (!table.compared) return head;
  return [
    ...head,
    ...table.dimensions.filter(isTimeDimension).map((d) => `${d}_previous`),
    ...comparedColumns(table.metrics),
  ];
}

/** The whole CSV body: the header row, then one record per row. A row without a comparison leaves those fields empty. */
export function reportCsv(table: ReportTable): string {
  const timeAt = table.dimensions.flatMap((d, i) => (isTimeDimension(d) ? [i] : []));
  const parts = [csvRecord(reportColumns(table))];
  for (const row of table.rows) {
    const cells: (CsvCell | undefined)[] = [
      ...table.dimensions.map((_, i) => row.dimensions[i]),
      ...table.metrics.map((_, i) => row.metrics[i]),
    ];
    if (table.compared) {
      const c = row.comparison;
      cells.push(
        ...timeAt.map((i) => c?.dimensions[i]),
        ...table.metrics.map((_, i) => c?.metrics[i]),
        ...table.metrics.map((_, i) => c?.change[i]),
      );
    }
    parts.push(csvRecord(cells));
  }
  return parts.join('');
}

/** An instant in ISO 8601's basic format (`20260105T000000Z`): no `:`, which file systems refuse. */
function basicInstant(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return 'unknown';
  return new Date(ms).toISOString().replace(/\.000Z$/, 'Z').replace(/[-:]/g, '');
}

/**
 * `pulse-<site_id>-<from>-<to>.csv` for `Content-Disposition`, from the resolved date range; only
 * `[A-Za-z0-9._-]`, so it needs no quoting rules and is a valid name on every file system.
 */
export function reportFilename(siteId: string, from: string, to: string): string {
  return `pulse-${siteId}-${basicInstant(from)}-${basicInstant(to)}.csv`.replace(/[^A-Za-z0-9._-]/g, '_');
}
