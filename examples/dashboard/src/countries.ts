/**
 * Countries are stored as ISO 3166 alpha-2 codes ("DE"), and shown by name ("Germany", `valueLabel`).
 * A person typing a country filter may type either: this turns both into the code the API matches.
 */

let byName: Map<string, string> | null = null;

/** Lower-cased English names of the current region codes (deprecated ones such as UK or SU left out). */
function names(): Map<string, string> {
  if (byName) return byName;
  byName = new Map();
  if (typeof Intl.DisplayNames !== 'function') return byName;
  const display = new Intl.DisplayNames(['en'], { type: 'region' });
  for (let a = 65; a <= 90; a++) {
    for (let b = 65; b <= 90; b++) {
      const code = String.fromCharCode(a, b);
      let name: string | undefined;
      try {
        name = display.of(code);
        // A code replaced by another (UK by GB) canonicalises to it; its name belongs to the other.
        if (Intl.getCanonicalLocales(`und-${code}`)[0] !== `und-${code}`) continue;
      } catch {
        continue;
      }
      if (name && name !== code && !byName.has(name.toLowerCase())) byName.set(name.toLowerCase(), code);
    }
  }
  return byName;
}

/** "DE", "de", "Germany" or "germany" → "DE"; null when it is neither a code nor a country's name. */
export function countryCodeOf(input: string): string | null {
  const s = input.trim();
  // Any two letters are a code: what the collector stored is matched as it is.
  if (/^[A-Za-z]{2}$/.test(s)) return s.toUpperCase();
  return names().get(s.toLowerCase()) ?? null;
}
