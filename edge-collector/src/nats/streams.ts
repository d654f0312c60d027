// The collector creates the streams with the same settings as the aggregator: one definition.
export { ensureStreams, streamConfigs, type StreamSettings } from '@pulse/protocol/streams';
