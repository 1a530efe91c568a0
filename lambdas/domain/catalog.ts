import catalogData from './catalog-data.json' with { type: 'json' };
import { normalizeCityName } from './city-name.ts';

export { normalizeCityName };

/**
 * The sandbox travel catalog: the world's cities with scheduled air service, generated from
 * OurAirports (public domain) by bin/build-catalog.ts into catalog-data.json (see catalog-data.md), a
 * file shipped next to each bundle that imports it.
 * A city's code is its IATA metropolitan-area code where one exists (NYC for JFK/LGA/EWR), else its
 * main airport's. Matching is case-insensitive, ignores accents and punctuation, and accepts a
 * qualifier: "Portland, ME", "London, Ontario", "Paris (France)", "phoenix az", "Sydney, NSW".
 */

export interface City {
  /** IATA city (metropolitan area) code, or the main airport's code where the city has none. */
  readonly code: string;
  readonly name: string;
  /** ISO 3166-1 alpha-2. */
  readonly country: string;
  /** ISO 3166-2 subdivision (US, CA, AU and GB cities only), e.g. "US-WA". */
  readonly region?: string;
  /** IATA codes of its other airports (the city's own code aside). */
  readonly airports: readonly string[];
  /** Other names that mean this city (airport names, local and English names). */
  readonly aliases: readonly string[];
}

/**
 * The cities, read from the data at first use with the indexes below: not at import, which every cold
 * start of the step and rollback functions would pay (~4 ms) for a lookup most invocations never make.
 */
function parseCities(): City[] {
  return catalogData.cities.map((line) => {
    const [code = '', name = '', region = '', others = '', aliases = ''] = line.split('|');
    const country = region.slice(0, 2);
    return {
      code,
      name,
      country,
      ...(region.length > 2 && { region }),
      airports: others ? others.split(' ') : [],
      aliases: aliases ? aliases.split(';') : [],
    };
  });
}

interface Index {
  /** Every city, best-ranked first (a shared name means the first city that bears it). */
  readonly cities: readonly City[];
  /** Normalized name → cities bearing it, best-ranked first. */
  readonly byName: Map<string, City[]>;
  /** Normalized IATA code (city or airport) → city. */
  readonly byCode: Map<string, City>;
  /** Qualifier (normalized) → the countries (`XX`) or regions (`XX-YY`) it may mean. */
  readonly qualifiers: Map<string, string[]>;
  /** Longest name in words, for prefix matching. */
  readonly maxWords: number;
}

let built: Index | undefined;

function buildIndex(): Index {
  const byName = new Map<string, City[]>();
  const byCode = new Map<string, City>();
  const cities = parseCities();
  for (const city of cities) {
    for (const code of [city.code, ...city.airports]) {
      const key = code.toLowerCase();
      if (!byCode.has(key)) byCode.set(key, city);
    }
    for (const name of [city.name, ...city.aliases]) {
      const key = normalizeCityName(name);
      if (!key) continue;
      const list = byName.get(key);
      if (!list) byName.set(key, [city]);
      else if (!list.includes(city)) list.push(city);
    }
  }
  const qualifiers = new Map<string, string[]>();
  const addQualifier = (name: string, code: string) => {
    const key = normalizeCityName(name);
    if (!key) return;
    const list = qualifiers.get(key) ?? [];
    if (!list.includes(code)) list.push(code);
    qualifiers.set(key, list);
  };
  for (const line of catalogData.countries) {
    const [code = '', name = ''] = line.split(':');
    addQualifier(code, code);
    addQualifier(name, code);
  }
  addQualifier('USA', 'US');
  addQualifier('America', 'US');
  addQualifier('UK', 'GB');
  addQualifier('England', 'GB-ENG');
  addQualifier('Scotland', 'GB-SCT');
  for (const line of catalogData.regions) {
    const [code = '', name = ''] = line.split(':');
    addQualifier(code.slice(3), code);
    addQualifier(name, code);
  }
  let maxWords = 1;
  for (const key of byName.keys()) maxWords = Math.max(maxWords, key.split(' ').length);
  return { cities, byName, byCode, qualifiers, maxWords };
}

function index(): Index {
  built ??= buildIndex();
  return built;
}

/** Every city of the catalog, best-ranked first. */
export function catalogCities(): readonly City[] {
  return index().cities;
}

function matches(city: City, scopes: readonly string[]): boolean {
  return scopes.some((s) => (s.length === 2 ? city.country === s : city.region === s));
}

/** The cities a normalized name means (own names, aliases, then codes), best first. */
function candidates(key: string): City[] {
  const { byName, byCode } = index();
  const named = byName.get(key);
  if (named) return named;
  const coded = /^[a-z]{3}$/.test(key) ? byCode.get(key) : undefined;
  return coded ? [coded] : [];
}

/** What people add around a city that is not its name: "the city of", "airport", "international". */
const NOISE = /\b(?:the city of|city of|downtown|the|airports?|international|intl)\b/g;

function resolve(key: string, scopes?: readonly string[]): City | undefined {
  const found = candidates(key);
  if (scopes) return found.find((c) => matches(c, scopes));
  return found[0];
}

/**
 * Finds a city by code, name or alias, optionally qualified by a country or region ("Portland, ME",
 * "Rome (Italy)", "phoenix az"); `undefined` when the catalog does not know it.
 */
export function findCity(raw: string): City | undefined {
  const key = normalizeCityName(raw);
  if (!key) return undefined;
  const { byCode, qualifiers } = index();
  // "LON" written as a code is the code, whatever city may be called "Lon".
  if (/^[A-Z]{3}$/.test(raw.trim())) {
    const coded = byCode.get(key);
    if (coded) return coded;
  }
  const direct = resolve(key);
  if (direct) return direct;
  // "Paris, France" / "Rome (Italy)" / "Seattle, WA": a qualifier after a comma or in parentheses.
  const [head, ...rest] = raw.split(/[,(]/);
  if (head !== undefined && rest.length > 0) {
    const headKey = normalizeCityName(head);
    const scope = qualifiers.get(normalizeCityName(rest.join(' ')));
    const city = (scope && resolve(headKey, scope)) ?? resolve(headKey);
    if (city) return city;
  }
  // "phoenix az", "portland maine": the last one or two words may be the qualifier.
  const words = key.split(' ');
  for (const n of [1, 2]) {
    if (words.length <= n) continue;
    const scope = qualifiers.get(words.slice(-n).join(' '));
    if (!scope) continue;
    const city = resolve(words.slice(0, -n).join(' '), scope);
    if (city) return city;
  }
  // "logan airport", "the city of boston", "general mitchell international".
  const cleaned = key.replace(NOISE, ' ').replace(/\s+/g, ' ').trim();
  if (cleaned && cleaned !== key) return findCity(cleaned);
  return undefined;
}

/** The city with this IATA code (city or airport); `undefined` otherwise. */
export function cityByCode(code: string): City | undefined {
  return index().byCode.get(code.toLowerCase());
}

/**
 * The longest catalog name at the start of `words` (normalized words), with an optional qualifier
 * right after it ("portland maine", "seattle wa"). Bare three-letter codes match only when `isCode`
 * accepts the word (the caller knows whether "for" was typed as a word or a code).
 */
export function matchCityPrefix(
  words: readonly string[],
  isCode: (index: number) => boolean = () => true,
  isShortQualifier: (index: number) => boolean = isCode,
): { city: City; length: number } | undefined {
  const { byName, byCode, qualifiers, maxWords } = index();
  for (let n = Math.min(maxWords, words.length); n >= 1; n--) {
    const key = words.slice(0, n).join(' ');
    const named = byName.get(key);
    let city = named?.[0];
    if (!named && n === 1 && /^[a-z]{3}$/.test(key) && isCode(0)) city = byCode.get(key);
    if (!city) continue;
    // A qualifier right after the name picks among cities that share it.
    for (const q of [2, 1]) {
      const qualifier = words.slice(n, n + q).join(' ');
      const scope = qualifiers.get(qualifier);
      if (!scope || words.length < n + q) continue;
      // "London on Friday": a two-letter region code counts only when written as one ("Seattle WA").
      if (qualifier.length === 2 && !isShortQualifier(n)) continue;
      const qualified = (named ?? [city]).find((c) => matches(c, scope));
      if (qualified) return { city: qualified, length: n + q };
    }
    return { city, length: n };
  }
  return undefined;
}

/** Picks the first origin that is not the destination (city names or codes). */
export function chooseOrigin(destination: string, candidates: readonly string[]): string | undefined {
  const dest = findCity(destination)?.code ?? destination.toLowerCase();
  return candidates.find((c) => (findCity(c)?.code ?? c.toLowerCase()) !== dest);
}
