import type { ApiClient, CsvFile } from '../api.js';
import { h, statusBox } from '../dom.js';
import { ApiError, describeError } from '../errors.js';
import type { FunnelBody } from '../funnel-state.js';
import type { QueryBody } from '../query.js';
import { withRateLimitRetry } from './panel.js';

/** What a download asks for, worked out at the click: the panel's query (or funnel) as it is shown then. */
export type CsvRequest = { client: ApiClient; body: QueryBody } | { client: ApiClient; funnel: FunnelBody };

/** The request's CSV from the route its panel asks. */
function fetchCsv(r: CsvRequest, signal: AbortSignal): Promise<CsvFile> {
  return 'funnel' in r ? r.client.funnelCsv(r.funnel, signal) : r.client.queryCsv(r.body, signal);
}

export interface CsvDownloadOptions {
  /** The button's accessible name ("Download Top pages as CSV"); `setLabel` changes it with the tab. */
  label: string;
  testId: string;
  /** Null while the panel has loaded nothing yet: the click does nothing then. */
  request: () => CsvRequest | null;
  onAuthError: (err: ApiError) => void;
}

/**
 * Saves a file the way a link with `download` does: through an object URL, so the read key stays
 * in a header (a plain link could not send it) and the browser's own download handling applies.
 */
export function saveFile(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: filename, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  // Not at once: some browsers read the URL after the click has returned.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * A panel's "CSV" control: fetches the panel's query as the API's CSV and saves it under the name
 * the API gives. A failure is said under the panel's header as panels say theirs (with a retry), and
 * leaves the panel as it is; a revoked key signs out as everywhere else.
 */
export class CsvDownload {
  readonly button: HTMLButtonElement;
  /** Where a failed download says so: the panel puts it under its header. */
  readonly status: HTMLElement;
  private busy = false;

  constructor(private readonly opts: CsvDownloadOptions) {
    this.button = h('button', { type: 'button', class: 'csv-button', 'data-testid': opts.testId, onclick: () => void this.download() }, 'CSV');
    this.status = h('div', { class: 'csv-status', 'data-testid': `${opts.testId}-status` });
    this.setLabel(opts.label);
  }

  setLabel(label: string): void {
    this.button.setAttribute('aria-label', label);
    this.button.title = label;
  }

  /** Drops a failure's message: the panel shows other numbers now. */
  clear(): void {
    this.status.replaceChildren();
  }

  async download(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    // aria-disabled rather than disabled: a disabled button loses keyboard focus.
    this.button.setAttribute('aria-disabled', 'true');
    this.button.setAttribute('aria-busy', 'true');
    this.clear();
    const signal = new AbortController().signal;
    try {
      const request = this.opts.request();
      if (!request) return;
      const file = await withRateLimitRetry(() => fetchCsv(request, signal), signal);
      const siteId = 'funnel' in request ? request.funnel.site_id : request.body.site_id;
      saveFile(file.blob, file.filename ?? `pulse-${siteId}.csv`);
    } catch (err) {
      if (err instanceof ApiError && err.isAuth) {
        this.opts.onAuthError(err);
        return;
      }
      this.status.replaceChildren(statusBox('error', `The CSV download failed. ${describeError(err)}`, () => void this.download()));
    } finally {
      this.busy = false;
      this.button.removeAttribute('aria-disabled');
      this.button.removeAttribute('aria-busy');
    }
  }
}
