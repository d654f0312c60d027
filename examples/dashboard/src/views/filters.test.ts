import { describe, expect, it } from 'vitest';
import { filterText } from './filters.js';

describe('filter chips', () => {
  it('name a value as its breakdown row does', () => {
    expect(filterText(['is', 'referrer', ['']])).toBe('Referrer is Direct / None');
    expect(filterText(['is', 'country', ['DE']])).toBe('Country is Germany');
    expect(filterText(['is_not', 'page', ['/a', '/b']])).toBe('Page is not /a or /b');
    expect(filterText(['is', 'utm_medium', ['']])).toBe('UTM medium is (none)');
  });

  it('state the operator', () => {
    expect(filterText(['is_not', 'page', ['/admin']])).toBe('Page is not /admin');
    expect(filterText(['contains', 'source', ['goo']])).toBe('Source contains goo');
    expect(filterText(['matches', 'page', ['/blog/*']])).toBe('Page matches /blog/*');
    expect(filterText(['is', 'prop:plan', ['pro']])).toBe('Property plan is pro');
  });
});
