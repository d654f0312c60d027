import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { startSink, type Sink } from './sink.js';

// Runs the built app (dist/main.js) as `npm start` would: `npx tsup` first.
const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));

interface Running {
  child: ChildProcess;
  url: string;
  lines: Array<Record<string, unknown>>;
  stderr: string[];
  exited: Promise<number | null>;
}

async function startApp(sink: Sink): Promise<Running> {
  const child = spawn(process.execPath, [main], {
    env: { ...process.env, PORT: '0', PULSE_HOST: sink.url, PULSE_WRITE_KEY: 'wk_node_app_test', PUBLIC_URL: 'https://shop.example' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Array<Record<string, unknown>> = [];
  const stderr: string[] = [];
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  createInterface({ input: child.stderr! }).on('line', (l) => stderr.push(l));
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (l) => {
      const entry = JSON.parse(l) as Record<string, unknown>;
      lines.push(entry);
      if (entry.msg === 'node-app listening') resolve(entry.port as number);
    });
    child.once('exit', (code) => reject(new Error(`app exited ${code}: ${stderr.join('\n')}`)));
  });
  return { child, url: `http://127.0.0.1:${port}`, lines, stderr, exited };
}

let sink: Sink | undefined;
let app: Running | undefined;
afterEach(async () => {
  if (app && app.child.exitCode === null) app.child.kill('SIGKILL');
  await sink?.close();
  app = undefined;
  sink = undefined;
});

describe('node-app', () => {
  it('reports page views, signups and purchases, and sends them all on SIGTERM', async () => {
    sink = await startSink();
    app = await startApp(sink);
    const home = await fetch(`${app.url}/`, { headers: { referer: 'https://news.example/', 'accept-language': 'de-DE,de;q=0.9' } });
    expect(home.status).toBe(200);
    const cookie = home.headers.get('set-cookie')!.split(';')[0]!;
    expect((await fetch(`${app.url}/products/42`, { headers: { cookie } })).status).toBe(200);
    const signup = await fetch(`${app.url}/signup`, { method: 'POST', body: JSON.stringify({ email: 'a@b.example', plan: 'pro' }) });
    expect(signup.status).toBe(201);
    const { user_id: userId, event_id: eventId } = (await signup.json()) as { user_id: string; event_id: string };
    const order = JSON.stringify({ user_id: userId, order_id: 'o1', amount: 49.9, currency: 'EUR' });
    expect((await fetch(`${app.url}/checkout`, { method: 'POST', body: order })).status).toBe(201);
    expect((await fetch(`${app.url}/checkout`, { method: 'POST', body: order })).status).toBe(201);
    const bad = await fetch(`${app.url}/checkout`, { method: 'POST', body: '{"amount":"x"}' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('invalid_order');

    // Under flushAt and within the flush interval: nothing sent yet; SIGTERM must send it.
    app.child.kill('SIGTERM');
    expect(await app.exited).toBe(0);
    expect(app.stderr).toEqual([]);
    expect(app.lines.at(-1)).toMatchObject({ msg: 'node-app stopped', unsent: 0, stats: { delivered: 5, failed: 0, dropped: 0 } });

    expect(sink.authorizations.every((a) => a === 'Bearer wk_node_app_test')).toBe(true);
    const [home1, product, signed, buy1, buy2] = sink.events as [Record<string, unknown>, Record<string, unknown>, Record<string, unknown>, Record<string, unknown>, Record<string, unknown>];
    expect(sink.events).toHaveLength(5);
    expect(home1).toMatchObject({ name: 'pageview', url: 'https://shop.example/', title: 'Home', referrer: 'https://news.example/', lang: 'de-DE' });
    expect(product).toMatchObject({ name: 'pageview', url: 'https://shop.example/products/42', visitor_id: home1.visitor_id });
    expect(signed).toMatchObject({ id: eventId, name: 'signup', user_id: userId, props: { plan: 'pro' } });
    // The same order twice carries the same id: the pipeline counts it once.
    expect(buy1).toMatchObject({ id: 'order-o1', name: 'purchase', revenue: { amount: 49.9, currency: 'EUR' } });
    expect(buy2.id).toBe('order-o1');
  });

  it('refuses to start without a write key', async () => {
    const child = spawn(process.execPath, [main], { env: { ...process.env, PULSE_WRITE_KEY: '' }, stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    expect(code).toBe(1);
    expect(JSON.parse(out)).toMatchObject({ level: 'error', msg: expect.stringContaining('PULSE_WRITE_KEY') });
  });
});
