// The msgpackr-dependent half of the protocol (kept out of the main entry, which browsers import).
export { bodyFormatOf, type BodyFormat } from './content-type.js';
export { encodeMsgpack, decodeMsgpack } from './msgpack.js';
export { scanMsgpackBatch } from './msgpack-scan.js';
export { decodeBody, decodeBodyAs, resolveBodyFormat, parseBatch, type ParseResult } from './body.js';
export { encodeStreamMessage, decodeStreamMessage } from './stream-message.js';
export { rawEventId, isRawRecord, expandRawRecord, eventRecordOf } from './raw-record.js';
