/**
 * Pulse's event name for an app screen (Segment's `screen` call, GA4's `screen_view`). Not a
 * pageview: a screen has no URL, and an invented one would mix screens into page reports.
 */
export const SCREENVIEW = 'screenview';
