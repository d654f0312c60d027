// (a) The ceiling: uWebSockets.js reading the body and answering 202, no work at all.
import * as uws from 'uWebSockets.js';

const port = Number(process.env.PORT ?? 9100);
const reply = '{"accepted":1,"rejected":[]}';
uws
  .App()
  .post('/*', (res) => {
    let aborted = false;
    res.onAborted(() => (aborted = true));
    let size = 0;
    res.onData((chunk, last) => {
      size += chunk.byteLength;
      if (last && !aborted) res.cork(() => res.writeStatus('202 Accepted').writeHeader('content-type', 'application/json').end(reply));
    });
  })
  .get('/readyz', (res) => res.end('ok'))
  .listen('127.0.0.1', port, (ok) => {
    if (!ok) process.exit(1);
  });
