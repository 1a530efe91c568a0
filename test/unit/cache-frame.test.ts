import { describe, expect, it } from 'vitest';
import { extractFrame, type Frame } from '#core/cache/frame.ts';

const frame = (goal: string, context: Record<string, unknown> = {}): Frame => {
  const result = extractFrame(goal, context);
  if (!result.ok) throw new Error(`no frame for "${goal}": ${result.reason}`);
  return result.frame;
};
const slots = (f: Frame) => Object.fromEntries(f.slots.map((s) => [s.name, s.key]));

describe('cache frames: the trap (similar-looking goals are not the same goal)', () => {
  it('"Book a flight to NYC" vs "Book a flight to Tokyo": same intent, different destination slot', () => {
    const nyc = frame('Book a flight to NYC');
    const tokyo = frame('Book a flight to Tokyo');
    expect(tokyo.signature).toBe(nyc.signature);
    expect(slots(nyc)['r1.destination']).toBe('NYC');
    expect(slots(tokyo)['r1.destination']).toBe('TYO');
    expect(tokyo.slotsHash).not.toBe(nyc.slotsHash);
  });

  it('"Book a flight to NYC" vs "Book a flight from NYC to Paris": different intent (explicit origin, NYC is the origin)', () => {
    const to = frame('Book a flight to NYC');
    const fromTo = frame('Book a flight from NYC to Paris');
    expect(fromTo.signature).not.toBe(to.signature);
    expect(slots(fromTo)).toMatchObject({ 'r1.origin': 'NYC', 'r1.destination': 'PAR' });
  });

  it('"from NYC to Paris" vs "from Paris to NYC": same intent, the roles swap', () => {
    const a = frame('Book a flight from NYC to Paris');
    const b = frame('Book a flight from Paris to NYC');
    expect(b.signature).toBe(a.signature);
    expect(slots(b)).toMatchObject({ 'r1.origin': 'PAR', 'r1.destination': 'NYC' });
  });

  it('paraphrase: "Please book me a flight to New York City" = "Book a flight to NYC" (intent and slots)', () => {
    const a = frame('Book a flight to NYC');
    const b = frame('Please book me a flight to New York City');
    expect(b.signature).toBe(a.signature);
    expect(b.slotsHash).toBe(a.slotsHash);
  });

  it('paraphrase: "Find and reserve a hotel room in Paris" = "Book a hotel in Paris"', () => {
    const a = frame('Book a hotel in Paris');
    const b = frame('Find and reserve a hotel room in Paris');
    expect(b.signature).toBe(a.signature);
    expect(b.slotsHash).toBe(a.slotsHash);
  });

  it.each([
    ["I'd like to fly to NYC"],
    ['Can you get me a plane ticket to New York?'],
    ['Reserve a flight to JFK for me'],
    ['Organize a flight to NYC, please'],
  ])('paraphrase: "%s" = "Book a flight to NYC"', (goal) => {
    const a = frame('Book a flight to NYC');
    const b = frame(goal);
    expect(b.signature).toBe(a.signature);
    expect(b.slotsHash).toBe(a.slotsHash);
  });

  it.each([
    ['Cancel my flight to NYC', 'another verb'],
    ['Search for flights to NYC', 'searching is not booking'],
    ['Change my flight to NYC', 'another verb'],
    ['Book a flight to NYC and a hotel there', 'an added request'],
    ['Book a flight to NYC with my approval', 'an approval step'],
    ['Book a flight to NYC on 2026-05-01', 'a date'],
    ['Book a business class flight to NYC', 'words the cache does not understand must repeat verbatim'],
    ['Book a train ticket to NYC', 'a train is not a flight'],
  ])('near miss: "%s" has another signature than "Book a flight to NYC" (%s)', (goal) => {
    expect(frame(goal).signature).not.toBe(frame('Book a flight to NYC').signature);
  });

  it('"and" and "then" are different structures', () => {
    expect(frame('Book a flight to Paris then a hotel there').signature).not.toBe(
      frame('Book a flight to Paris and a hotel there').signature,
    );
  });

  it('which slots are equal is part of the intent ("a hotel there" vs "a hotel in Rome")', () => {
    expect(frame('Book a flight to Paris and a hotel in Rome').signature).not.toBe(
      frame('Book a flight to Paris and a hotel there').signature,
    );
  });

  it('the default origin is a derived slot: a flight to London leaves from elsewhere', () => {
    expect(slots(frame('Book a flight to London'))['r1.origin']).toBe('NYC');
    expect(slots(frame('Book a flight to Paris'))['r1.origin']).toBe('LON');
    expect(slots(frame('Book a flight to Paris', { home_city: 'Berlin' }))['r1.origin']).toBe('BER');
  });

  it('the rest of the context is part of the signature', () => {
    expect(frame('Book a flight to Paris', { budget: 'low' }).signature).not.toBe(
      frame('Book a flight to Paris').signature,
    );
  });

  it('maps an unknown word to an intent concept through word vectors only above the threshold', () => {
    // "jet" is not in the lexicon; its nearest seed word is a flight word (cosine ≈ 0.82)
    const f = frame('Book a jet to Paris');
    expect(f.mapped).toEqual([expect.objectContaining({ word: 'jet', concept: 'object:flight' })]);
    expect(f.signature).toBe(frame('Book a flight to Paris').signature);
    expect(extractFrame('Book a jet to Paris', {}, { wordSimilarity: 0.9 }).ok).toBe(false);
    // close neighbours that are not flights or hotels stay residue
    expect(frame('Book a restaurant table and a hotel in Paris').residue).toEqual(['restaurant', 'table']);
  });

  it('reads plain inflections through the lexicon', () => {
    expect(frame('Reserving two rooms in Paris').residue).toEqual(['two']);
    expect(frame('I booked flights to Paris').signature).toBe(frame('Book a flight to Paris').signature);
  });

  it('has no frame for unknown cities, goals without a request, or ambiguous cities', () => {
    expect(extractFrame('Book a flight to Atlantis', {}).ok).toBe(false); // not a catalog city
    expect(extractFrame('Hello there', {}).ok).toBe(false);
    expect(extractFrame('Book a flight to Paris and Rome', {}).ok).toBe(false);
    expect(extractFrame('Book a flight from Paris to Paris', {}).ok).toBe(false);
  });
});
