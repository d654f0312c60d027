import { NatsUrlError } from './errors.js';
import { parseNatsUrl } from './nats-url.js';

/** A service's environment, as its main.ts hands it to a config function (the only reader of process.env). */
export type EnvVars = Readonly<Record<string, string | undefined>>;

/** The `code` of every package's ConfigError and of EnvVarError. */
export const CONFIG_ERROR_CODE = 'invalid_config';

/** A configuration error (exit 2, no retry) as opposed to a failure to start (retried). */
export function isConfigError(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === CONFIG_ERROR_CODE;
}

/**
 * A variable of a service's environment refused. `code` and `field` are those of every package's
 * ConfigError, so a main tells a configuration error (exit 2, no retry) from a failure to start the
 * same way for both.
 */
export class EnvVarError extends Error {
  override readonly name = 'EnvVarError';
  readonly code = CONFIG_ERROR_CODE;
  constructor(
    readonly field: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${field}: ${message}`, options);
  }
}

/** An integer variable within [min, max]; unset or blank: undefined. */
export function intVar(env: EnvVars, name: string, min: number, max: number): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new EnvVarError(name, `must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  return n;
}

/** The servers of NATS_URL (`parseNatsUrl`), refused as an EnvVarError naming it. */
export function natsServersVar(env: EnvVars): string[] {
  try {
    return parseNatsUrl(env.NATS_URL);
  } catch (err) {
    if (err instanceof NatsUrlError) throw new EnvVarError('NATS_URL', err.message, { cause: err });
    throw err;
  }
}
