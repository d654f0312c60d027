// Re-renders a finished soak's markdown from its JSON with today's verdict rules.
// node bench/dist/soak-render.js artifacts/soak/soak.json [--markdown artifacts/soak/soak.md]
import { readFileSync, writeFileSync } from 'node:fs';
import { checkKnown, parseArgs, stringArg } from '../lib/args.js';
import { BenchConfigError } from '../lib/errors.js';
import { flatness, renderSoak, type SoakRow } from './table.js';

interface SoakResult {
  rate: number;
  maxRate?: number;
  acked: number;
  counted: number;
  rows: SoakRow[];
  command: string;
  date: string;
}

const [file, ...rest] = process.argv.slice(2);
if (!file) throw new BenchConfigError('file', 'give the soak JSON to render (artifacts/soak/soak.json)');
const args = parseArgs(rest);
checkKnown(args, ['markdown']);
const r = JSON.parse(readFileSync(file, 'utf8')) as SoakResult;
const md = renderSoak({ rows: r.rows, flat: flatness(r.rows), command: r.command, date: r.date, rate: r.rate, ...(r.maxRate ? { maxRate: r.maxRate } : {}), acked: r.acked, counted: r.counted });
const out = stringArg(args, 'markdown', '');
if (out) writeFileSync(out, md);
else process.stdout.write(md);
