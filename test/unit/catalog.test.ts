import { describe, expect, it } from 'vitest';
import { catalogCities, findCity, matchCityPrefix, normalizeCityName } from '#domain/catalog.ts';

describe('city catalog', () => {
  it('ships at least 30 real cities with unique three-letter IATA codes', () => {
    expect(catalogCities().length).toBeGreaterThanOrEqual(30);
    const codes = catalogCities().map((c) => c.code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const code of codes) expect(code).toMatch(/^[A-Z]{3}$/);
  });

  it('uses metropolitan codes where they exist', () => {
    expect(
      ['New York', 'London', 'Paris', 'Tokyo', 'Rome', 'Milan', 'Chicago', 'Washington'].map(
        (n) => findCity(n)?.code,
      ),
    ).toEqual(['NYC', 'LON', 'PAR', 'TYO', 'ROM', 'MIL', 'CHI', 'WAS']);
  });

  it.each([
    'NYC',
    'New York',
    'New York City',
    'JFK',
    'new york city',
    '  NEW YORK!! ',
    'nyc.',
    '"New York"',
  ])('%j is New York', (name) => {
    expect(findCity(name)?.code).toBe('NYC');
  });

  it('ignores accents and a trailing country', () => {
    expect(findCity('Sao Paulo')?.code).toBe('SAO');
    expect(findCity('São Paulo')?.code).toBe('SAO');
    expect(findCity('Zürich')?.code).toBe('ZRH');
    expect(findCity('Paris, France')?.code).toBe('PAR');
    expect(findCity('Rome (Italy)')?.code).toBe('ROM');
  });

  it('does not know invented places', () => {
    expect(findCity('Atlantis')).toBeUndefined();
    expect(findCity('')).toBeUndefined();
    expect(findCity('Narnia')).toBeUndefined();
  });

  it('normalizes names', () => {
    expect(normalizeCityName('  Saint-Tropez!! ')).toBe('saint tropez');
  });

  it('is generated from OurAirports: thousands of cities, each code once, every ATIS/SGD city', () => {
    expect(catalogCities().length).toBeGreaterThan(2500);
    const codes = catalogCities().map((c) => c.code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const name of [
      'boston',
      'st. louis',
      'kansas city',
      'salt lake city',
      'ontario',
      'burbank',
      'long beach',
      'tacoma',
      'Delhi',
      'Mexico City',
      'Vegas',
      'SD',
      'lAX',
      'bwi',
      'dc',
    ]) {
      expect(findCity(name), name).toBeDefined();
    }
  });

  it('reads airport names and qualifiers', () => {
    expect(findCity('logan airport')?.code).toBe('BOS');
    expect(findCity('general mitchell international')?.code).toBe('MKE');
    expect(findCity('love field')?.code).toBe('DFW');
    expect(findCity('westchester county')?.code).toBe('HPN');
    expect(findCity('Seattle, WA')?.code).toBe('SEA');
    expect(findCity('phoenix az')?.code).toBe('PHX');
    expect(findCity('Sydney, NSW')?.country).toBe('AU');
    expect(findCity('London, England')?.code).toBe('LON');
    expect(findCity('London, Ontario')?.country).toBe('CA');
    expect(findCity('Portland')?.code).toBe('PDX');
    expect(findCity('Portland, ME')?.code).toBe('PWM');
  });

  it('matches the longest name at the start of some words, never the words after it', () => {
    expect(matchCityPrefix('boston that leaves'.split(' '))).toMatchObject({
      city: { code: 'BOS' },
      length: 1,
    });
    expect(matchCityPrefix('new york city please'.split(' '))).toMatchObject({
      city: { code: 'NYC' },
      length: 3,
    });
    expect(matchCityPrefix('portland maine on friday'.split(' '))).toMatchObject({
      city: { code: 'PWM' },
      length: 2,
    });
    expect(matchCityPrefix(['for'], () => false)).toBeUndefined();
  });
});
