import { describe, expect, it } from 'vitest';
import { checkKnown, numberArg, parseArgs } from './args.js';
import { BenchConfigError } from './errors.js';

describe('parseArgs', () => {
  it('reads --name value, --name=value and bare flags', () => {
    const a = parseArgs(['--events', '10_000_000', '--out=x.json', '--keep']);
    expect([...a]).toEqual([
      ['events', '10_000_000'],
      ['out', 'x.json'],
      ['keep', 'true'],
    ]);
  });

  it('rejects positional arguments', () => {
    expect(() => parseArgs(['100'])).toThrow(BenchConfigError);
  });
});

describe('numberArg', () => {
  it('accepts underscores and falls back to the default', () => {
    const a = parseArgs(['--events', '100_000_000']);
    expect(numberArg(a, 'events', 1)).toBe(100_000_000);
    expect(numberArg(a, 'seconds', 20)).toBe(20);
  });

  it('names the option it refuses', () => {
    expect(() => numberArg(parseArgs(['--events', 'lots']), 'events', 1)).toThrow(/--events/);
    expect(() => numberArg(parseArgs(['--events', '10']), 'events', 1, { min: 1000 })).toThrow(/>= 1000/);
    expect(() => numberArg(parseArgs(['--events', '1.5']), 'events', 1)).toThrow(/integer/);
  });
});

describe('checkKnown', () => {
  it('refuses a typo instead of running the default', () => {
    expect(() => checkKnown(parseArgs(['--event', '5']), ['events'])).toThrow(/--event: unknown option/);
    expect(() => checkKnown(parseArgs(['--events', '5']), ['events'])).not.toThrow();
  });
});
