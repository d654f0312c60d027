import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '@pulse/testkit';
import { DEFAULT_FLUSH_AT, MAX_BATCH_EVENTS } from '../src/index.js';
import { startSink, type Sink } from './sink.js';

// These run the built package (dist/), as users get it: `npx tsup` first.
const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
const bun = fileURLToPath(new URL('../../node_modules/.bin/bun', import.meta.url));

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], env: Record<string, string>, onStdout?: (line: string, child: ReturnType<typeof spawn>) => void): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: fixtures, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      onStdout?.(c.toString(), child);
    });
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

let sink: Sink | undefined;
afterEach(async () => {
  await sink?.close();
  sink = undefined;
});

describe.each([
  ['node', process.execPath],
  ['bun', bun],
])('on %s', (runtime, bin) => {
  it('delivers through a 503 with Retry-After and close() reports it', async () => {
    sink = await startSink();
    sink.script.push({ status: 503, headers: { 'retry-after': '1' } });
    const r = await run(bin, ['client.mjs', 'close'], { PULSE_HOST: sink.url, N: '1200' });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { runtime: string; timedOut: boolean; delivered: number; unsent: number; retries: unknown[] };
    expect(out).toMatchObject({ runtime, timedOut: false, delivered: 1200, unsent: 0, retries: [503] });
    expect(sink.accepted).toHaveLength(1200);
    expect(new Set(sink.accepted.map((e) => e.id)).size).toBe(1200);
    expect(sink.accepted.every((e) => (e.props as { runtime: string }).runtime === runtime)).toBe(true);
    const first = sink.requests[0]!;
    const retry = sink.requests.find((q) => q !== first && q.body.events[0]?.id === first.body.events[0]?.id);
    expect(retry!.at - first.at).toBeGreaterThanOrEqual(980);
  });

  it('sends the queue when the process ends on its own (flushOnExit)', async () => {
    sink = await startSink();
    const r = await run(bin, ['client.mjs', 'exit'], { PULSE_HOST: sink.url, N: '7' });
    expect(r.code).toBe(0);
    expect(sink.accepted).toHaveLength(7);
  });

  it('reports and counts what the exit flush could not send (collector down)', async () => {
    const r = await run(bin, ['client.mjs', 'exit'], { PULSE_HOST: `http://127.0.0.1:${await freePort()}`, N: '7', CLOSE_TIMEOUT_MS: '500' });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { errors: Array<{ code: string; events?: number }>; stats: Record<string, number> };
    expect(out.errors).toEqual([{ code: 'aborted', events: 7 }]);
    expect(out.stats).toMatchObject({ queued: 0, inFlight: 0, delivered: 0, failed: 0, dropped: 7 });
  });

  it('on SIGTERM (handleSignals) sends the queue, then dies of the signal', async () => {
    sink = await startSink();
    const r = await run(bin, ['client.mjs', 'signal'], { PULSE_HOST: sink.url, N: '5' }, (line, child) => {
      if (line.includes('ready')) child.kill('SIGTERM');
    });
    expect(sink.accepted).toHaveLength(5);
    expect(r.signal === 'SIGTERM' || r.code === 143).toBe(true);
  });
});

describe('CommonJS build', () => {
  it('works with require()', async () => {
    sink = await startSink();
    const r = await run(process.execPath, ['require.cjs'], { PULSE_HOST: sink.url });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ delivered: 1, DEFAULT_FLUSH_AT, MAX_BATCH_EVENTS, deliveryError: 'function' });
    expect(sink.accepted.map((e) => e.name)).toEqual(['from_cjs']);
  });
});

describe('the published package', () => {
  it('carries the protocol limits inlined and depends on msgpackr alone', () => {
    const dist = (f: string): string => readFileSync(new URL(`../dist/${f}`, import.meta.url), 'utf8');
    for (const f of ['index.js', 'index.cjs', 'index.d.ts', 'index.d.cts']) expect(dist(f)).not.toContain('@pulse/protocol');
    expect(dist('index.js')).toContain('MAX_EVENTS_PER_BATCH = 500');
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { dependencies: Record<string, string> };
    expect(Object.keys(pkg.dependencies)).toEqual(['msgpackr']);
  });
});
