/** What the sender needs from an HTTP answer. */
export interface HttpReply {
  status: number;
  retryAfter: string | null;
  body: string;
}

/** One POST; rejects on network errors and on abort. */
export interface Transport {
  readonly kind: 'http' | 'fetch';
  post(url: URL, headers: Record<string, string>, body: Uint8Array, signal: AbortSignal): Promise<HttpReply>;
  /** Closes idle keep-alive connections. */
  close(): void;
}
