export * from './limits.js';
export * from './types.js';
export * from './errors.js';
export * from './clock.js';
export * from './validate.js';
export * from './nats-names.js';
export * from './tenancy.js';
export { bodyFormatOf, type BodyFormat } from './content-type.js';
export * from './log.js';
