import type { Cell } from './api.js';
import type { FilterDimension } from './dimensions.js';

const regionNames = typeof Intl.DisplayNames === 'function' ? new Intl.DisplayNames(['en'], { type: 'region' }) : null;

/**
 * How a dimension value reads to people, in breakdown rows and filter chips alike (the raw value is
 * what the filter sends), so a chip names what the clicked row said.
 */
export function valueLabel(dimension: FilterDimension, v: Cell): string {
  const s = v === null ? '' : String(v);
  if (s === '') {
    // The API's own name for visits without a referrer (its `source` says "Direct / None").
    if (dimension === 'source' || dimension === 'referrer') return 'Direct / None';
    return '(none)';
  }
  if (dimension === 'country' && /^[A-Z]{2}$/.test(s)) {
    try {
      return regionNames?.of(s) ?? s;
    } catch {
      return s;
    }
  }
  return s;
}
