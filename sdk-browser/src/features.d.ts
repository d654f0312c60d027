// Build-time switches for optional features. esbuild's `define` replaces each
// with `true` or `false` so the minifier drops what a build leaves out: the core
// script tag has none of them, script.full.js and the ESM build have all
// (scripts/build-scripts.mjs, tsup.config.ts).

/** `data-hash`: hash routing. */
declare const PULSE_HASH: boolean;
/** `data-outbound` and `data-downloads`: link click events. */
declare const PULSE_LINKS: boolean;
/**
 * `data-persist` and `pulse('consent', ...)`: visitor and session ids, and the
 * outbox, in localStorage. Without it a build is cookieless: the outbox in sessionStorage.
 */
declare const PULSE_PERSIST: boolean;
/** `data-dnt`: honour Do Not Track and Global Privacy Control. */
declare const PULSE_DNT: boolean;
