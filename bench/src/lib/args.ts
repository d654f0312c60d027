import { BenchConfigError } from './errors.js';

/** `--name value` pairs and bare `--flag`s; anything else is an error naming it. */
export function parseArgs(argv: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (!a.startsWith('--') || a.length < 3) throw new BenchConfigError(a, 'expected --name [value]');
    const eq = a.indexOf('=');
    if (eq !== -1) {
      out.set(a.slice(2, eq), a.slice(eq + 1));
      continue;
    }
    const next = argv[i + 1];
    if (next === undefined || next.startsWith('--')) out.set(a.slice(2), 'true');
    else {
      out.set(a.slice(2), next);
      i++;
    }
  }
  return out;
}

/** Reads a positive number option (underscores allowed: 10_000_000), or the default. */
export function numberArg(args: Map<string, string>, name: string, dflt: number, opts: { min?: number; integer?: boolean } = {}): number {
  const raw = args.get(name);
  if (raw === undefined) return dflt;
  const v = Number(raw.replaceAll('_', ''));
  const min = opts.min ?? 0;
  if (!Number.isFinite(v) || v < min || (opts.integer !== false && !Number.isInteger(v))) {
    throw new BenchConfigError(`--${name}`, `must be ${opts.integer === false ? 'a number' : 'an integer'} >= ${min}, got "${raw}"`);
  }
  return v;
}

export function stringArg(args: Map<string, string>, name: string, dflt: string): string {
  return args.get(name) ?? dflt;
}

/** Rejects options the benchmark does not know, so a typo never silently runs the default. */
export function checkKnown(args: Map<string, string>, known: readonly string[]): void {
  for (const k of args.keys()) {
    if (!known.includes(k)) throw new BenchConfigError(`--${k}`, `unknown option (known: ${known.map((n) => `--${n}`).join(', ')})`);
  }
}
