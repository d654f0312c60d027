import { connect } from 'node:net';
import { parseErrorBody } from './check.js';

/**
 * Requests fetch refuses to write (bare LF, CR in a header value, conflicting framing): sent as
 * bytes on a socket. An answer from the HTTP parser itself (before the app) may be plain text.
 */
export const RAW_REQUESTS: ReadonlyArray<{ name: string; bytes: (host: string) => string }> = [
  { name: 'crlf_in_header', bytes: (h) => `POST /v1/batch HTTP/1.1\r\nHost: ${h}\r\nAuthorization: Bearer x\rInjected: 1\r\nContent-Length: 2\r\n\r\n{}` },
  { name: 'bare_lf', bytes: (h) => `POST /v1/batch HTTP/1.1\nHost: ${h}\nContent-Length: 2\n\n{}` },
  { name: 'cl_and_te', bytes: (h) => `POST /v1/batch HTTP/1.1\r\nHost: ${h}\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n` },
  { name: 'duplicate_cl', bytes: (h) => `POST /v1/batch HTTP/1.1\r\nHost: ${h}\r\nContent-Length: 2\r\nContent-Length: 40\r\n\r\n{}` },
  { name: 'bad_chunk_size', bytes: (h) => `POST /v1/batch HTTP/1.1\r\nHost: ${h}\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n` },
  { name: 'huge_chunk_size', bytes: (h) => `POST /v1/batch HTTP/1.1\r\nHost: ${h}\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n{}\r\n0\r\n\r\n` },
  { name: 'negative_cl', bytes: (h) => `POST /v1/batch HTTP/1.1\r\nHost: ${h}\r\nContent-Length: -5\r\n\r\n{}` },
  { name: 'garbage_request_line', bytes: () => `\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u0001\u00fc\u0003\u0003GARBAGE\r\n\r\n` },
  { name: 'http_0_9', bytes: () => `GET /v1/batch\r\n\r\n` },
  { name: 'absolute_uri_other_host', bytes: (h) => `POST http://evil.example/v1/batch HTTP/1.1\r\nHost: ${h}\r\nContent-Length: 2\r\n\r\n{}` },
  { name: 'header_without_colon', bytes: (h) => `POST /v1/query HTTP/1.1\r\nHost: ${h}\r\nThisIsNotAHeader\r\nContent-Length: 2\r\n\r\n{}` },
  { name: 'dot_segments', bytes: (h) => `POST /script.js/../../v1/batch HTTP/1.1\r\nHost: ${h}\r\nContent-Length: 2\r\n\r\n{}` },
  { name: 'encoded_dot_segments', bytes: (h) => `GET /%2e%2e/%2e%2e/etc/passwd HTTP/1.1\r\nHost: ${h}\r\n\r\n` },
  { name: 'nul_in_path', bytes: (h) => `GET /v1/real\u0000time HTTP/1.1\r\nHost: ${h}\r\n\r\n` },
  { name: 'many_headers', bytes: (h) => `GET /healthz HTTP/1.1\r\nHost: ${h}\r\n${Array.from({ length: 3000 }, (_, i) => `X-H${i}: ${i}`).join('\r\n')}\r\n\r\n` },
  { name: 'pipelined_garbage', bytes: (h) => `GET /healthz HTTP/1.1\r\nHost: ${h}\r\n\r\nGARBAGE / HTTP/9.9\r\n\r\n` },
];

export interface RawOutcome {
  /** Status of the first answer; 0 when the server closed without one (a fine answer to garbage). */
  status: number;
  code: string;
  jsonError: boolean;
}

export function sendRaw(url: string, payload: string, timeoutMs = 5_000): Promise<RawOutcome> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const sock = connect({ host: u.hostname, port: Number(u.port) });
    const finish = () => {
      clearTimeout(timer);
      sock.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      if (!m) return resolve({ status: 0, code: '-', jsonError: false });
      const body = text.slice(text.indexOf('\r\n\r\n') + 4);
      const json = body.slice(body.indexOf('{'), body.lastIndexOf('}') + 1);
      resolve({ status: Number(m[1]), ...parseErrorBody(json) });
    };
    const timer = setTimeout(finish, timeoutMs);
    sock.on('data', (c: Buffer) => {
      chunks.push(c);
      // One answer is enough; garbage after it is the server's business.
      if (/\r\n\r\n/.test(Buffer.concat(chunks).toString('latin1')) && chunks.length > 0) setTimeout(finish, 50);
    });
    sock.on('error', finish);
    sock.on('close', finish);
    sock.write(Buffer.from(payload, 'latin1'));
  });
}
