import { describe, expect, it } from 'vitest';
import { cities, findCity, normalizeCityName } from '#core/catalog.ts';

describe('city catalog', () => {
  it('ships at least 30 real cities with unique three-letter IATA codes', () => {
    expect(cities.length).toBeGreaterThanOrEqual(30);
    const codes = cities.map((c) => c.code);
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
    expect(findCity('El Dorado')).toBeUndefined();
  });

  it('normalizes names', () => {
    expect(normalizeCityName('  Saint-Tropez!! ')).toBe('saint tropez');
  });
});
