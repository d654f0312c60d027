import { describe, expect, it } from 'vitest';
import { countryCodeOf } from './countries.js';

describe('countryCodeOf', () => {
  it('takes a code in any case or an English name', () => {
    expect(countryCodeOf('DE')).toBe('DE');
    expect(countryCodeOf(' us ')).toBe('US');
    expect(countryCodeOf('Germany')).toBe('DE');
    expect(countryCodeOf('united kingdom')).toBe('GB');
    expect(countryCodeOf('Atlantis')).toBeNull();
    expect(countryCodeOf('')).toBeNull();
  });
});
