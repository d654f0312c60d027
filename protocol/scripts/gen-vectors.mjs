// Regenerates test-vectors/msgpack.json from msgpackr. Every msgpack encoder in the
// project (the browser SDK's own included) must reproduce these bytes exactly.
// Run: node scripts/gen-vectors.mjs (after a change of inputs or of msgpackr).
import { writeFileSync } from 'node:fs';
import { Packr } from 'msgpackr';

const packr = new Packr({ useRecords: false, moreTypes: false });
const s = (n, c = 'a') => c.repeat(n);
const inputs = {
  'int 0': 0,
  'int 127 (fixint max)': 127,
  'int 128 (uint8)': 128,
  'int 255': 255,
  'int 256 (uint16)': 256,
  'int 65535': 65535,
  'int 65536 (uint32)': 65536,
  'int 4294967295': 4294967295,
  'int 4294967296 (beyond uint32)': 4294967296,
  'int -1 (negative fixint)': -1,
  'int -32': -32,
  'int -33 (int8)': -33,
  'int -128': -128,
  'int -129 (int16)': -129,
  'int -32768': -32768,
  'int -32769 (int32)': -32769,
  'int -2147483648': -2147483648,
  'int -2147483649': -2147483649,
  'float 0.5': 0.5,
  'float 0.1': 0.1,
  'float -1.25': -1.25,
  'float 1e300': 1e300,
  'ms timestamp': 1764169200123,
  'true': true,
  'false': false,
  'null': null,
  'empty string': '',
  'string 31 (fixstr max)': s(31),
  'string 32 (str8)': s(32),
  'string 255': s(255),
  'string 256 (str16)': s(256),
  'string 65536 (str32)': s(65536),
  'utf8 2-byte': 'héllo wörld',
  'utf8 3-byte': '日本語のページ',
  'utf8 4-byte emoji': 'checkout 🛒🎉',
  'string 20 chars of 3-byte utf8 (60 bytes)': s(20, '€'),
  'empty array': [],
  'array 15 (fixarray max)': Array.from({ length: 15 }, (_, i) => i),
  'array 16 (array16)': Array.from({ length: 16 }, (_, i) => i),
  'empty map': {},
  'map 1': { a: 1 },
  'map 16': Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`k${i}`, i])),
  'pageview batch': {
    sent_at: 1764169200500,
    events: [
      {
        id: '01JDQ3W4S5T6V7X8Y9Z0ABCDEF',
        name: 'pageview',
        ts: 1764169200123,
        url: 'https://shop.example.com/products/shoes?utm_source=newsletter',
        referrer: 'https://www.google.com/',
        title: 'Shoes — Example Shop',
        screen_width: 1440,
        lang: 'de-DE',
      },
    ],
  },
  'custom event with props and revenue': {
    events: [
      {
        id: 'e-2',
        name: 'purchase',
        ts: 1764169201000,
        url: 'https://shop.example.com/checkout',
        visitor_id: 'v_123',
        session_id: 's_456',
        user_id: 'u_789',
        props: { plan: 'pro', items: 3, gift: false, ratio: 0.75 },
        revenue: { amount: 129.9, currency: 'EUR' },
      },
    ],
  },
};

const vectors = Object.entries(inputs).map(([name, input]) => ({
  name,
  input,
  hex: Buffer.from(packr.pack(input)).toString('hex'),
}));
writeFileSync(new URL('../test-vectors/msgpack.json', import.meta.url), JSON.stringify(vectors, null, 1) + '\n');
console.log(`wrote ${vectors.length} vectors`);
