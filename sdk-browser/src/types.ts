/** The event shapes the SDK sends; a subset of the protocol's `Event` (DESIGN.md "Ingest"). */
export type PropValue = string | number | boolean;
export type Props = Record<string, PropValue>;

export interface Revenue {
  amount: number;
  /** ISO 4217, upper case, e.g. "EUR". */
  currency: string;
}

export interface TrackOptions {
  revenue?: Revenue;
}

export interface SdkEvent {
  id: string;
  name: string;
  ts: number;
  url: string;
  referrer?: string;
  title?: string;
  visitor_id?: string;
  session_id?: string;
  props?: Props;
  revenue?: Revenue;
  screen_width?: number;
  lang?: string;
}

export interface Tracker {
  track(name: string, props?: Props, options?: TrackOptions): void;
  pageview(): void;
  /**
   * `true`: keep a visitor and session id, and the unsent events, in localStorage;
   * `false`: delete the ids and move the unsent events to sessionStorage, staying
   * cookieless. Absent in script tag builds without the persist feature.
   */
  consent?(granted: boolean): void;
}
