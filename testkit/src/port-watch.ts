import { get } from 'node:http';

/** One answer of a port watch, or the connection's failure (ECONNREFUSED: nothing listened). */
export interface PortProbe {
  path: string;
  status?: number;
  /** Parsed JSON, or the text of any other answer: a test reads whatever the service said. */
  body?: any;
  headers?: Record<string, string | string[] | undefined>;
  error?: string;
}

/**
 * One GET on a connection of its own (no agent), so a port that stopped listening, even for a
 * moment, shows as ECONNREFUSED instead of being hidden by a kept-alive socket.
 */
export function probePort(base: string, path: string, timeoutMs = 3_000): Promise<PortProbe> {
  return new Promise((resolve) => {
    const req = get(`${base}${path}`, { agent: false, timeout: timeoutMs }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () =>
        resolve({ path, status: res.statusCode, headers: res.headers, body: /json/.test(res.headers['content-type'] ?? '') ? JSON.parse(text) : text }),
      );
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('no answer'), { code: 'TIMEOUT' })));
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ path, error: err.code ?? err.message }));
  });
}

/**
 * Probes `paths` in turn, pausing `everyMs` after each round, until `stop()`, which resolves with
 * every answer: what a kubelet's probes would have seen, only much more often.
 */
export function watchPort(base: string, paths: readonly string[], everyMs = 20): { seen: PortProbe[]; stop: () => Promise<PortProbe[]> } {
  const seen: PortProbe[] = [];
  let watching = true;
  const done = (async () => {
    while (watching) {
      for (const path of paths) seen.push(await probePort(base, path));
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    seen,
    stop: async () => {
      watching = false;
      await done;
      return seen;
    },
  };
}
