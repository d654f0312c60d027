export { jsonLogger, silentLogger, type Logger, type LogLevel } from '@pulse/protocol';
