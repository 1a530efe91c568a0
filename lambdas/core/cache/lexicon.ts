/*
 * The words the cache's frame parser knows by heart. Everything else a goal says is either a slot
 * (a catalog city, an ISO date, "for N nights"), mapped to one of these concepts through word vectors
 * (see vocabulary.ts), or kept verbatim as "residue" that another goal must repeat exactly to match.
 */

/** Intent concepts: what a request asks for (action) and about what (object). */
export type Concept =
  | 'other'
  | 'action:book'
  | 'action:search'
  | 'action:cancel'
  | 'action:change'
  | 'object:flight'
  | 'object:hotel';

/** Seed words of each concept; unknown words are compared with these through word vectors. */
export const conceptSeeds: Readonly<Record<Concept, readonly string[]>> = {
  /** Neighbours that must never be mistaken for a flight or a hotel: they stay residue. */
  other: [
    'train',
    'bus',
    'car',
    'taxi',
    'cruise',
    'ferry',
    'restaurant',
    'table',
    'dinner',
    'tour',
    'rental',
  ],
  'action:book': [
    'book',
    'booking',
    'reserve',
    'reservation',
    'buy',
    'purchase',
    'get',
    'arrange',
    'secure',
    'organise',
    'organize',
    'grab',
    'order',
  ],
  'action:search': [
    'search',
    'find',
    'look',
    'looking',
    'check',
    'compare',
    'browse',
    'show',
    'list',
    'seek',
  ],
  'action:cancel': [
    'cancel',
    'cancellation',
    'scrap',
    'annul',
    'revoke',
    'refund',
    'undo',
    'delete',
    'remove',
  ],
  'action:change': [
    'change',
    'modify',
    'reschedule',
    'postpone',
    'rebook',
    'amend',
    'upgrade',
    'extend',
    'move',
    'delay',
  ],
  'object:flight': [
    'flight',
    'flights',
    'fly',
    'flying',
    'plane',
    'airfare',
    'airline',
    'airplane',
    'ticket',
    'tickets',
  ],
  'object:hotel': [
    'hotel',
    'hotels',
    'room',
    'rooms',
    'accommodation',
    'accommodations',
    'lodging',
    'stay',
    'motel',
    'suite',
  ],
};

/** Words that carry no intent of their own (politeness, pronouns, articles, modal verbs). */
export const fillerWords: ReadonlySet<string> = new Set(
  [
    'a an the please pls kindly me my i id im ive we us our you your could can would will shall like want',
    'wanna need needs love some just also too as well hi hello hey thanks thank now asap go going make do',
    'for of it its one place help set up quick quickly trip so this there',
  ]
    .join(' ')
    .split(' '),
);

/** Prepositions that give a city its role. */
export const rolePrepositions: ReadonlyMap<string, 'origin' | 'destination' | 'location'> = new Map([
  ['from', 'origin'],
  ['to', 'destination'],
  ['into', 'destination'],
  ['in', 'location'],
  ['at', 'location'],
  ['near', 'location'],
]);

/** Connectors between requests: "and"-like (same group) or "then"-like (a new group). */
export const connectors: ReadonlyMap<string, 'and' | 'then'> = new Map([
  ['and', 'and'],
  ['plus', 'and'],
  ['and also', 'and'],
  ['then', 'then'],
  ['and then', 'then'],
  ['after that', 'then'],
  ['afterwards', 'then'],
]);

/** Extra travel words for the derived vocabulary (bin/derive-embeddings.ts), beyond the frequent ones. */
export const travelWords: readonly string[] = (
  'airfare airline airlines airplane airport aeroplane jet jetliner seat seats ticket tickets boarding ' +
  'hotel hotels motel motels hostel hostels inn inns lodge lodging lodgings accommodation accommodations ' +
  'room rooms suite suites apartment bnb resort resorts stay stays overnight nights night ' +
  'reserve reserved reserving reservation reservations booking bookings book booked rebook ' +
  'purchase purchasing procure obtain acquire snag grab arrange arranging organise organize secure ' +
  'cancel cancelled canceled cancellation scrap annul revoke rescind refund void undo ' +
  'change modify reschedule postpone amend upgrade extend move shift ' +
  'search find locate browse compare explore seek hunt look looking check show list ' +
  'fly flying flight flights plane trip journey travel voyage train bus car rental cruise ferry taxi ' +
  'restaurant table dinner lunch tour museum tickets concert show visa insurance ' +
  'approval approve permission consent confirm confirmation signoff ' +
  'cheap cheapest business economy first class direct nonstop window aisle luxury budget'
).split(' ');
