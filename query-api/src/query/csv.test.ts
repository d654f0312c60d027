import { describe, expect, it } from 'vitest';
import { csvField, csvRecord, reportColumns, reportCsv, reportFilename } from './csv.js';

describe('csvField', () => {
  it('leaves plain text as it is and quotes text with a quote, comma, CR or LF, doubling quotes', () => {
    expect(csvField('/pricing')).toBe('/pricing');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('line1\nline2')).toBe('"line1\nline2"');
    expect(csvField('line1\r\nline2')).toBe('"line1\r\nline2"');
    expect(csvField('"')).toBe('""""');
  });

  it('also quotes ; and TAB, which other locales take as separators', () => {
    expect(csvField('a;b')).toBe('"a;b"');
    expect(csvField('a\tb')).toBe('"a\tb"');
  });

  it('writes numbers as JSON does, never with separators or as text', () => {
    expect(csvField(1234567)).toBe('1234567');
    expect(csvField(47.5)).toBe('47.5');
    expect(csvField(0)).toBe('0');
    expect(csvField(-12.5)).toBe('-12.5');
    expect(csvField(1e21)).toBe('1e+21');
    expect(csvField(Number.NaN)).toBe('');
    expect(csvField(Number.POSITIVE_INFINITY)).toBe('');
  });

  it('writes null as an empty field and the empty string as ""', () => {
    expect(csvField(null)).toBe('');
    expect(csvField(undefined)).toBe('');
    expect(csvField('')).toBe('""');
  });

  it('guards text a spreadsheet would run as a formula with a leading quote, numbers never', () => {
    expect(csvField('=HYPERLINK("http://evil.example","x")')).toBe(`"'=HYPERLINK(""http://evil.example"",""x"")"`);
    expect(csvField('=1+1')).toBe("'=1+1");
    expect(csvField('+49 30 1234')).toBe("'+49 30 1234");
    expect(csvField('-5')).toBe("'-5");
    expect(csvField('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvField('\t=1')).toBe(`"'\t=1"`);
    expect(csvField('\r=1')).toBe(`"'\r=1"`);
    // Only the first character counts; a formula further in is not where a cell starts.
    expect(csvField('/a=b')).toBe('/a=b');
    expect(csvField("'quoted")).toBe("'quoted");
    expect(csvField(-5)).toBe('-5');
  });

  it('keeps unicode as it is (the body is UTF-8)', () => {
    expect(csvField('/über/straße')).toBe('/über/straße');
    expect(csvField('日本語, 😀')).toBe('"日本語, 😀"');
    expect(csvField('=😀')).toBe("'=😀");
  });
});

describe('csvRecord', () => {
  it('joins fields with commas and ends with CRLF', () => {
    expect(csvRecord(['a', 1, null, ''])).toBe('a,1,,""\r\n');
  });
});

describe('reportCsv', () => {
  it('writes a header of the dimensions then the metrics as requested, and one line per row', () => {
    const csv = reportCsv({
      dimensions: ['page', 'prop:plan'],
      metrics: ['visitors', 'bounce_rate'],
      compared: false,
      rows: [
        { dimensions: ['/pricing', 'pro'], metrics: [2, 33.33] },
        { dimensions: ['/a,b', '=cmd|" /C calc"!A0'], metrics: [1, 0] },
        { dimensions: ['', '-1'], metrics: [1, 100] },
      ],
    });
    expect(csv).toBe(
      'page,prop:plan,visitors,bounce_rate\r\n' +
        '/pricing,pro,2,33.33\r\n' +
        `"/a,b","'=cmd|"" /C calc""!A0",1,0\r\n` +
        `"",'-1,1,100\r\n`,
    );
  });

  it('writes only the header for an answer without rows', () => {
    expect(reportCsv({ dimensions: [], metrics: ['pageviews'], compared: false, rows: [] })).toBe('pageviews\r\n');
  });

  it('gives each compared metric its previous value and change, and a time dimension its compared bucket', () => {
    const table = {
      dimensions: ['time:day', 'country'],
      metrics: ['visitors', 'bounce_rate'],
      compared: true,
      rows: [
        {
          dimensions: ['2026-01-05T00:00:00+00:00', 'DE'],
          metrics: [2, 50],
          comparison: { dimensions: ['2026-01-03T00:00:00+00:00', 'DE'], metrics: [1, 0], change: [100, 50] },
        },
        {
          dimensions: ['2026-01-06T00:00:00+00:00', 'FR'],
          metrics: [1, 100],
          comparison: { dimensions: ['2026-01-04T00:00:00+00:00', 'FR'], metrics: [0, 0], change: [null, 100] },
        },
        // No counterpart bucket: the comparison columns stay empty.
        { dimensions: ['2026-01-07T00:00:00+00:00', 'DE'], metrics: [3, 0] },
      ],
    };
    expect(reportColumns(table)).toEqual([
      'time:day',
      'country',
      'visitors',
      'bounce_rate',
      'time:day_previous',
      'visitors_previous',
      'bounce_rate_previous',
      'visitors_change',
      'bounce_rate_change',
    ]);
    expect(reportCsv(table)).toBe(
      'time:day,country,visitors,bounce_rate,time:day_previous,visitors_previous,bounce_rate_previous,visitors_change,bounce_rate_change\r\n' +
        '2026-01-05T00:00:00+00:00,DE,2,50,2026-01-03T00:00:00+00:00,1,0,100,50\r\n' +
        '2026-01-06T00:00:00+00:00,FR,1,100,2026-01-04T00:00:00+00:00,0,0,,100\r\n' +
        '2026-01-07T00:00:00+00:00,DE,3,0,,,,,\r\n',
    );
  });

  it('has the comparison columns with compare even when no row has a comparison, and negative changes as numbers', () => {
    expect(
      reportCsv({
        dimensions: [],
        metrics: ['pageviews'],
        compared: true,
        rows: [{ dimensions: [], metrics: [3], comparison: { dimensions: [], metrics: [4], change: [-25] } }],
      }),
    ).toBe('pageviews,pageviews_previous,pageviews_change\r\n3,4,-25\r\n');
    expect(reportCsv({ dimensions: ['page'], metrics: ['visitors'], compared: true, rows: [] })).toBe('page,visitors,visitors_previous,visitors_change\r\n');
  });
});

describe('reportFilename', () => {
  it('names the site and the resolved range in safe characters only', () => {
    expect(reportFilename('s_0123456789abcdef', '2026-01-05T00:00:00.000Z', '2026-01-07T00:00:00.000Z')).toBe(
      'pulse-s_0123456789abcdef-20260105T000000Z-20260107T000000Z.csv',
    );
    expect(reportFilename('s_0123456789abcdef', '2026-01-05T00:00:00.250Z', '2026-01-07T00:00:00Z')).toBe(
      'pulse-s_0123456789abcdef-20260105T000000.250Z-20260107T000000Z.csv',
    );
    expect(reportFilename('s_"../x', 'nonsense', '2026-01-07T00:00:00Z')).toBe('pulse-s__.._x-unknown-20260107T000000Z.csv');
  });
});
