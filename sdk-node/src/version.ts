/** Sent in User-Agent; src/version.test.ts keeps it equal to package.json's version. */
export const SDK_VERSION = '0.1.0';
