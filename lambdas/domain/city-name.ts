/**
 * City-name normalization, on its own (no catalog data): the catalog's lookups and the script that
 * builds the catalog (bin/build-catalog.ts) key names the same way.
 */

/** Lower-cases, strips accents and punctuation, collapses whitespace: "  São Paulo!! " → "sao paulo". */
export function normalizeCityName(raw: string): string {
  return raw
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}
