import { describe, expect, it } from 'vitest';
import { negotiateReportFormat, parseAccept } from './accept.js';

describe('negotiateReportFormat', () => {
  it('answers JSON without a header, with an empty one, and to the wildcard', () => {
    expect(negotiateReportFormat(undefined)).toBe('json');
    expect(negotiateReportFormat('')).toBe('json');
    expect(negotiateReportFormat('*/*')).toBe('json');
    expect(negotiateReportFormat('application/json')).toBe('json');
    expect(negotiateReportFormat('application/*')).toBe('json');
  });

  it('answers CSV when text/csv is listed and JSON is not preferred over it', () => {
    expect(negotiateReportFormat('text/csv')).toBe('csv');
    expect(negotiateReportFormat('TEXT/CSV; charset=utf-8')).toBe('csv');
    expect(negotiateReportFormat('text/csv, */*')).toBe('csv');
    expect(negotiateReportFormat('*/*, text/csv')).toBe('csv');
    expect(negotiateReportFormat('text/csv, application/json')).toBe('csv');
    expect(negotiateReportFormat('application/json;q=0.5, text/csv')).toBe('csv');
    expect(negotiateReportFormat('text/*')).toBe('csv');
  });

  it('stays JSON when JSON weighs more, or as much without text/csv itself', () => {
    expect(negotiateReportFormat('text/csv;q=0.5, application/json')).toBe('json');
    expect(negotiateReportFormat('text/csv;q=0.5, */*')).toBe('json');
    expect(negotiateReportFormat('text/*, application/json')).toBe('json');
    expect(negotiateReportFormat('text/html, application/xhtml+xml, */*;q=0.8')).toBe('json');
    expect(negotiateReportFormat('application/xml, */*;q=0.1')).toBe('json');
  });

  it('refuses (null: 406) a header that accepts neither', () => {
    expect(negotiateReportFormat('application/xml')).toBeNull();
    expect(negotiateReportFormat('text/html')).toBeNull();
    expect(negotiateReportFormat('application/json;q=0')).toBeNull();
    expect(negotiateReportFormat('text/csv;q=0, application/json;q=0, */*;q=0')).toBeNull();
    // A wildcard does not bring back a type refused by name.
    expect(negotiateReportFormat('text/csv;q=0, */*')).toBe('json');
    expect(negotiateReportFormat('application/json;q=0, */*')).toBe('csv');
  });

  it('skips malformed ranges rather than refusing for them', () => {
    expect(negotiateReportFormat('garbage')).toBe('json');
    expect(negotiateReportFormat('text/csv;q=2')).toBe('json');
    expect(negotiateReportFormat('text/csv;q=abc, application/xml')).toBeNull();
    expect(negotiateReportFormat('*/csv')).toBe('json');
  });
});

describe('parseAccept', () => {
  it('reads types, subtypes and weights, ignoring other parameters', () => {
    expect(parseAccept('text/csv;charset=utf-8;q=0.7, */*;q=0.1,application/json')).toEqual([
      { type: 'text', subtype: 'csv', q: 0.7 },
      { type: '*', subtype: '*', q: 0.1 },
      { type: 'application', subtype: 'json', q: 1 },
    ]);
  });
});
