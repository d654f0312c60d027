import { describe as suite, expect, it } from 'vitest';
import { describe, judge, parseErrorBody } from './check.js';
import type { HostileRequest } from './request.js';

const req = (over: Partial<HostileRequest> = {}): HostileRequest => ({ target: 'collector', family: 'random_bytes', method: 'POST', path: '/v1/batch', headers: [], mayAccept: false, ...over });

suite('judge', () => {
  it('accepts a 4xx only with a JSON error body', () => {
    expect(judge(req(), { status: 400, code: 'bad', jsonError: true })).toEqual({ ok: true });
    expect(judge(req(), { status: 400, code: '-', jsonError: false })).toEqual({ ok: false, kind: 'not_json_error' });
    expect(judge(req(), { status: 431, code: '-', jsonError: false })).toEqual({ ok: false, kind: 'parser_plain_4xx' });
  });
  it('flags every 5xx, telling 503 apart', () => {
    expect(judge(req(), { status: 500, code: 'internal', jsonError: true })).toEqual({ ok: false, kind: 'server_error' });
    expect(judge(req(), { status: 503, code: 'overloaded', jsonError: true })).toEqual({ ok: false, kind: 'overloaded_503' });
  });
  it('allows a 2xx only where the input may legitimately pass', () => {
    expect(judge(req(), { status: 202, code: '-', jsonError: false })).toEqual({ ok: false, kind: 'unexpected_accept' });
    expect(judge(req({ mayAccept: true }), { status: 202, code: '-', jsonError: false })).toEqual({ ok: true });
  });
  it('forgives a closed connection only for oversize bodies', () => {
    expect(judge(req({ family: 'oversize_body' }), { status: 0, code: '-', jsonError: false, transportError: 'reset' })).toEqual({ ok: true });
    expect(judge(req(), { status: 0, code: '-', jsonError: false, transportError: 'reset' })).toEqual({ ok: false, kind: 'no_response' });
  });
});

suite('parseErrorBody', () => {
  it('needs string code and message', () => {
    expect(parseErrorBody('{"error":{"code":"x","message":"y"}}')).toEqual({ code: 'x', jsonError: true });
    expect(parseErrorBody('{"error":{"code":1,"message":"y"}}').jsonError).toBe(false);
    expect(parseErrorBody('Bad Request').jsonError).toBe(false);
  });
});

suite('describe', () => {
  it('shows binary bodies as base64 so a finding can be replayed', () => {
    const d = describe(req({ body: new Uint8Array([0, 1, 2, 0xff]) }));
    expect(d['body']).toBe('base64:AAEC/w==');
    expect(describe(req({ body: new TextEncoder().encode('{"a":1}') }))['body']).toBe('{"a":1}');
  });
});

suite('urlSafe', () => {
  it('encodes lone surrogates as U+FFFD instead of throwing, keeps pairs', async () => {
    const { urlSafe } = await import('./hostile-values.js');
    expect(urlSafe('a\ud800b')).toBe(encodeURIComponent('a\ufffdb'));
    expect(urlSafe('😀')).toBe(encodeURIComponent('😀'));
  });
});
