export interface HttpServerOptions {
  host: string;
  /** 0 = any free port. */
  port: number;
}

/** What a runtime adapter hands back to the entrypoint. */
export interface RunningServer {
  readonly port: number;
  /** Close the listening socket; open connections keep being served. */
  stopAccepting(): void;
  /** Close everything, open connections included. */
  close(): void;
}
