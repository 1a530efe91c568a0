/*
 * The few word lists the plan cache uses to compare wordings (see goal.ts): filler, role words,
 * synonyms, soft words and the words that end a name. They are about how people ask, not about one
 * domain: the values a plan depends on come from the plan itself (template.ts). `conceptSeeds` and
 * `travelWords` only choose which words bin/derive-embeddings.ts ships vectors for.
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

/**
 * Words that carry no meaning a plan depends on: politeness, pronouns, articles, modal verbs and the
 * ways of asking ("show me", "i'd like to see", "what are", "can you list"). Dropped from both sides
 * when wordings are compared. Verbs that change a plan ("book", "cancel", "compare") are NOT here, nor
 * words a planner reads as values: "now" (a date), "one" ("one way"), "am" ("7 am"), "us" ("US Air").
 */
export const fillerWords: ReadonlySet<string> = new Set(
  [
    'a an the please pls kindly me my i id im ive ill we our you your could can would will shall like',
    'want wanna need needs love some just also too as well hi hello hey thanks thank asap go going',
    'goes make do does did it its this that these those there so is are was were be been being',
    'show list give tell see let know what which how who yes ok okay again all available information',
    'info interested looking look listing have has had get got may might should must any and',
    'help set up quick quickly',
  ]
    .join(' ')
    .split(' '),
);

/**
 * Role words: the word(s) before a value that say what the value is for. "between X and Y" gives X
 * the role `between` (read as `from`) and Y `to`.
 */
export const anchorRoles: ReadonlyMap<string, string> = new Map([
  ['from', 'from'],
  ['leaving', 'from'],
  ['leave', 'from'],
  ['leaves', 'from'],
  ['departing', 'from'],
  ['depart', 'from'],
  ['departs', 'from'],
  ['out of', 'from'],
  ['live in', 'from'],
  ['between', 'between'],
  ['to', 'to'],
  ['into', 'to'],
  ['arrive in', 'to'],
  ['arriving in', 'to'],
  ['arrive at', 'to'],
  ['arriving at', 'to'],
  ['arrives in', 'to'],
  ['arrives at', 'to'],
  ['reach', 'to'],
  ['arrive', 'to'],
  ['arrives', 'to'],
  ['arriving', 'to'],
  ['for', 'for'],
  ['in', 'in'],
  ['at', 'in'],
  ['near', 'in'],
  ['on', 'on'],
  ['about', 'about'],
  ['via', 'via'],
]);

/** Single role words (the offline embedder leaves them out). */
export const rolePrepositions: ReadonlySet<string> = new Set(
  [...anchorRoles.keys()].filter((k) => !k.includes(' ')),
);

/** Synonyms folded to one word before wordings are compared (never across values or qualifiers). */
export const canonicalWords: ReadonlyMap<string, string> = new Map([
  ['fly', 'flight'],
  ['flying', 'flight'],
  ['airfare', 'fare'],
  ['price', 'fare'],
  ['cost', 'fare'],
  ['download', 'fetch'],
  ['retrieve', 'fetch'],
  ['summarise', 'summarize'],
  ['summary', 'summarize'],
  ['reserve', 'book'],
  ['reservation', 'book'],
  ['booking', 'book'],
]);

/**
 * Canonical words a later goal may leave out of a cached goal's wording without changing the plan
 * ("the flights … again"). Everything else the cached goal said must be said again.
 */
export const softWords: ReadonlySet<string> = new Set(['again', 'also']);

/**
 * Words whose plural is not their singular to a planner: "on wednesdays" is no date, "in the
 * evenings" no time of day, "earliests" no order. Plurals fold only for other words.
 */
export const unfoldedPlurals: ReadonlySet<string> = new Set(
  [
    'monday tuesday wednesday thursday friday saturday sunday weekend week morning afternoon evening',
    'night tonight today tomorrow noon midnight earliest latest first last cheapest next',
  ]
    .join(' ')
    .split(' '),
);

/**
 * Words that end a name found after a role word ("flights to dallas nonstop": the name is "dallas"):
 * common qualifiers of requests, in their canonical form.
 */
export const boundaryWords: ReadonlySet<string> = new Set(
  [
    'flight fare book search find cancel change compare summarize fetch write translate check',
    'nonstop non stop direct cheap cheapest cheaper lowest earliest latest last next first second',
    'business economy class coach round way return returning trip please today tonight tomorrow',
    'morning afternoon evening night noon midnight am pm oclock before after around by until with',
    'without and or but then monday tuesday wednesday thursday friday saturday sunday weekend week',
    'month year day days nights hotel room airline served dinner lunch breakfast meal ticket seat',
    'going arrive arriving leaving stop connecting connection that which who where when what how',
    'for of as is are',
  ]
    .join(' ')
    .split(' '),
);

/** Words that start multi-word place names ("san diego", "st. paul", "kansas city"). */
export const placePrefixes: ReadonlySet<string> = new Set(
  'san santa los las new st st. saint salt fort ft kansas long el la port mount lake baton palm rio des'.split(
    ' ',
  ),
);

/** Words that end multi-word place names ("salt lake city", "long beach"). */
export const placeSuffixes: ReadonlySet<string> = new Set(
  'city beach lake springs falls park island heights harbor bay valley'.split(' '),
);

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
