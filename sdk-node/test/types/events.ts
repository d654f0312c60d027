/*
 * Type cases for the published typings, compiled by test/types.test.ts as ESM (dist/index.d.ts)
 * and as CommonJS (dist/index.d.cts) with `--strict --exactOptionalPropertyTypes`, the strictest
 * settings an app may use. A line without a directive must compile; a `@ts-expect-error` line must
 * not (tsc fails on a directive with nothing to expect). Not part of the package's own typecheck:
 * it imports the built package by name.
 */
import { Analytics, type PageviewEvent, type TrackEvent } from '@pulse/sdk-node';

declare const analytics: Analytics;
declare const opt: { plan?: string; seats?: number; trial?: boolean; ref?: string; flushAt?: number };
declare const maybe: string | undefined;

// Accepted: undefined wherever a value is optional. The SDK leaves it out, as JSON would.
analytics.track({ name: 'signup', props: { plan: opt.plan, seats: opt.seats, trial: opt.trial } });
analytics.track({ name: 'signup', user_id: 'u_1', visitor_id: maybe, session_id: maybe, url: undefined, referrer: opt.ref });
analytics.track({ name: 'purchase', id: undefined, ts: undefined, props: undefined, revenue: undefined, screen_width: undefined });
analytics.pageview({ url: 'https://shop.example/', visitor_id: maybe, title: undefined, lang: maybe });
const event: TrackEvent = { name: 'signup', props: { plan: maybe } };
const view: PageviewEvent = { url: 'https://shop.example/', referrer: maybe };
analytics.track(event);
analytics.pageview(view);
const options = { writeKey: 'wk_x', host: 'http://localhost:8080', flushAt: opt.flushAt, transport: undefined, onError: undefined };
new Analytics(options);
void analytics.close({ timeoutMs: opt.seats });

// Rejected: what the collector would refuse, or what is no event at all.
// @ts-expect-error props are flat: a prop value is a string, number or boolean
analytics.track({ name: 'signup', props: { plan: { tier: 'pro' } } });
// @ts-expect-error nor a list
analytics.track({ name: 'signup', props: { tags: ['a', 'b'] } });
// @ts-expect-error nor null (JSON would send it; the collector refuses it)
analytics.track({ name: 'signup', props: { plan: null } });
// @ts-expect-error an amount is a number, not a string
analytics.track({ name: 'purchase', revenue: { amount: '49.90', currency: 'EUR' } });
// @ts-expect-error a revenue has a currency
analytics.track({ name: 'purchase', revenue: { amount: 49.9 } });
// @ts-expect-error a revenue's amount cannot be left out either
analytics.track({ name: 'purchase', revenue: { amount: undefined, currency: 'EUR' } });
// @ts-expect-error a pageview has a url
analytics.pageview({ visitor_id: 'v_1' });
// @ts-expect-error and one that may be undefined is none
analytics.pageview({ url: maybe });
// @ts-expect-error every event has a name
analytics.track({ user_id: 'u_1' });
// @ts-expect-error a name that may be undefined is none
analytics.track({ name: maybe });
// @ts-expect-error a field of the wrong type stays wrong
analytics.track({ name: 'x', screen_width: '1440' });
// @ts-expect-error the write key is required
new Analytics({ writeKey: undefined, host: 'http://localhost:8080' });
