import { Analytics } from '@pulse/sdk-node';
import { createApp } from './app.js';

function log(level: string, msg: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ level, msg, time: new Date().toISOString(), ...fields })}\n`);
}

if (!process.env.PULSE_WRITE_KEY) {
  log('error', 'PULSE_WRITE_KEY is required: create a site with the admin API and pass its write_key');
  process.exit(1);
}
const port = Number(process.env.PORT ?? 3000);

// As in sdk-node/README.md.
const analytics = new Analytics({
  writeKey: process.env.PULSE_WRITE_KEY!, // the site's write key, "wk_..."
  host: process.env.PULSE_HOST ?? 'http://localhost:8080', // your collector
});

analytics.on('error', (err) => console.error(`[pulse] ${err.code}: ${err.message}`));

const app = createApp({ analytics, port, host: process.env.HOST ?? '127.0.0.1', publicUrl: process.env.PUBLIC_URL ?? `http://localhost:${port}` });
const { port: listening } = await app.start();
log('info', 'node-app listening', { port: listening });

// When the process shuts down: stop taking requests, then send what is queued, within a time limit.
process.on('SIGTERM', async () => {
  await app.stop();
  const { unsent } = await analytics.close({ timeoutMs: 5_000 });
  if (unsent.length > 0) console.error(`[pulse] ${unsent.length} events not sent`);
  log('info', 'node-app stopped', { stats: analytics.stats(), unsent: unsent.length });
  process.exit(0);
});
