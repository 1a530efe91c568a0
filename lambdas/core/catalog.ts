/**
 * The sandbox travel catalog: real cities with their IATA codes (the metropolitan-area code where one
 * exists, e.g. NYC for JFK/LGA/EWR) and the names people use for them. Matching is case-insensitive,
 * ignores accents and surrounding punctuation, and accepts a trailing ", Country".
 */

export interface City {
  /** IATA city (metropolitan area) code, or the main airport's code where the city has none. */
  readonly code: string;
  readonly name: string;
  readonly country: string;
  /** Other names and airport codes that mean this city. */
  readonly aliases: readonly string[];
}

export const cities: readonly City[] = [
  {
    code: 'NYC',
    name: 'New York',
    country: 'US',
    aliases: ['New York City', 'NY', 'Manhattan', 'JFK', 'LGA', 'EWR'],
  },
  {
    code: 'WAS',
    name: 'Washington',
    country: 'US',
    aliases: ['Washington DC', 'Washington D.C.', 'DC', 'IAD', 'DCA'],
  },
  { code: 'CHI', name: 'Chicago', country: 'US', aliases: ['ORD', 'MDW'] },
  { code: 'LAX', name: 'Los Angeles', country: 'US', aliases: ['LA', 'L.A.'] },
  { code: 'SFO', name: 'San Francisco', country: 'US', aliases: ['SF', 'San Fran'] },
  { code: 'MIA', name: 'Miami', country: 'US', aliases: [] },
  { code: 'BOS', name: 'Boston', country: 'US', aliases: [] },
  { code: 'SEA', name: 'Seattle', country: 'US', aliases: [] },
  { code: 'LAS', name: 'Las Vegas', country: 'US', aliases: ['Vegas'] },
  { code: 'HNL', name: 'Honolulu', country: 'US', aliases: [] },
  { code: 'YTO', name: 'Toronto', country: 'CA', aliases: ['YYZ'] },
  { code: 'YMQ', name: 'Montreal', country: 'CA', aliases: ['Montréal', 'YUL'] },
  { code: 'YVR', name: 'Vancouver', country: 'CA', aliases: [] },
  { code: 'MEX', name: 'Mexico City', country: 'MX', aliases: ['Ciudad de Mexico', 'CDMX'] },
  { code: 'SAO', name: 'Sao Paulo', country: 'BR', aliases: ['São Paulo', 'GRU', 'CGH'] },
  { code: 'RIO', name: 'Rio de Janeiro', country: 'BR', aliases: ['Rio', 'GIG', 'SDU'] },
  { code: 'BUE', name: 'Buenos Aires', country: 'AR', aliases: ['EZE', 'AEP'] },
  { code: 'LON', name: 'London', country: 'GB', aliases: ['LHR', 'LGW', 'STN', 'LCY', 'LTN'] },
  { code: 'EDI', name: 'Edinburgh', country: 'GB', aliases: [] },
  { code: 'DUB', name: 'Dublin', country: 'IE', aliases: [] },
  { code: 'PAR', name: 'Paris', country: 'FR', aliases: ['CDG', 'ORY'] },
  { code: 'AMS', name: 'Amsterdam', country: 'NL', aliases: [] },
  { code: 'BRU', name: 'Brussels', country: 'BE', aliases: ['Bruxelles'] },
  { code: 'BER', name: 'Berlin', country: 'DE', aliases: [] },
  { code: 'MUC', name: 'Munich', country: 'DE', aliases: ['München', 'Muenchen'] },
  { code: 'FRA', name: 'Frankfurt', country: 'DE', aliases: ['Frankfurt am Main'] },
  { code: 'ZRH', name: 'Zurich', country: 'CH', aliases: ['Zürich'] },
  { code: 'VIE', name: 'Vienna', country: 'AT', aliases: ['Wien'] },
  { code: 'PRG', name: 'Prague', country: 'CZ', aliases: ['Praha'] },
  { code: 'BUD', name: 'Budapest', country: 'HU', aliases: [] },
  { code: 'WAW', name: 'Warsaw', country: 'PL', aliases: ['Warszawa'] },
  { code: 'CPH', name: 'Copenhagen', country: 'DK', aliases: ['København'] },
  { code: 'STO', name: 'Stockholm', country: 'SE', aliases: ['ARN'] },
  { code: 'OSL', name: 'Oslo', country: 'NO', aliases: [] },
  { code: 'HEL', name: 'Helsinki', country: 'FI', aliases: [] },
  { code: 'MAD', name: 'Madrid', country: 'ES', aliases: [] },
  { code: 'BCN', name: 'Barcelona', country: 'ES', aliases: [] },
  { code: 'LIS', name: 'Lisbon', country: 'PT', aliases: ['Lisboa'] },
  { code: 'ROM', name: 'Rome', country: 'IT', aliases: ['Roma', 'FCO', 'CIA'] },
  { code: 'MIL', name: 'Milan', country: 'IT', aliases: ['Milano', 'MXP', 'LIN'] },
  { code: 'ATH', name: 'Athens', country: 'GR', aliases: [] },
  { code: 'IST', name: 'Istanbul', country: 'TR', aliases: ['SAW'] },
  { code: 'CAI', name: 'Cairo', country: 'EG', aliases: [] },
  { code: 'JNB', name: 'Johannesburg', country: 'ZA', aliases: ['Joburg'] },
  { code: 'CPT', name: 'Cape Town', country: 'ZA', aliases: [] },
  { code: 'NBO', name: 'Nairobi', country: 'KE', aliases: [] },
  { code: 'DXB', name: 'Dubai', country: 'AE', aliases: [] },
  { code: 'DEL', name: 'Delhi', country: 'IN', aliases: ['New Delhi'] },
  { code: 'BOM', name: 'Mumbai', country: 'IN', aliases: ['Bombay'] },
  { code: 'BKK', name: 'Bangkok', country: 'TH', aliases: ['DMK'] },
  { code: 'SIN', name: 'Singapore', country: 'SG', aliases: [] },
  { code: 'HKG', name: 'Hong Kong', country: 'HK', aliases: [] },
  { code: 'BJS', name: 'Beijing', country: 'CN', aliases: ['Peking', 'PEK', 'PKX'] },
  { code: 'SHA', name: 'Shanghai', country: 'CN', aliases: ['PVG'] },
  { code: 'SEL', name: 'Seoul', country: 'KR', aliases: ['ICN', 'GMP'] },
  { code: 'TYO', name: 'Tokyo', country: 'JP', aliases: ['HND', 'NRT'] },
  { code: 'OSA', name: 'Osaka', country: 'JP', aliases: ['KIX', 'ITM'] },
  { code: 'SYD', name: 'Sydney', country: 'AU', aliases: [] },
  { code: 'MEL', name: 'Melbourne', country: 'AU', aliases: [] },
  { code: 'AKL', name: 'Auckland', country: 'NZ', aliases: [] },
];

/** Lower-cases, strips accents and punctuation, collapses whitespace: "  São Paulo!! " → "sao paulo". */
export function normalizeCityName(raw: string): string {
  return raw
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

const index = new Map<string, City>();
for (const city of cities) {
  for (const name of [city.code, city.name, ...city.aliases]) {
    const key = normalizeCityName(name);
    const clash = index.get(key);
    if (clash && clash !== city)
      throw new Error(`catalog: "${name}" names both ${clash.code} and ${city.code}`);
    index.set(key, city);
  }
}

/** Finds a city by code, name or alias; `undefined` when the catalog does not know it. */
export function findCity(raw: string): City | undefined {
  const exact = index.get(normalizeCityName(raw));
  if (exact) return exact;
  // "Paris, France" / "Rome (Italy)": try the part before the first comma or parenthesis.
  const head = raw.split(/[,(]/)[0];
  if (head !== undefined && head !== raw) return index.get(normalizeCityName(head));
  return undefined;
}
