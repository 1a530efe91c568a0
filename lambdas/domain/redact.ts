/**
 * PII redaction: the producer runs every goal and context through this before anything is stored,
 * logged, hashed, published or sent to a model. Pure and deterministic.
 *
 * Detectors run in a fixed order (secrets, e-mail, IBAN, card, national id, phone) so that a longer,
 * more specific match wins over a shorter, generic one (an IBAN's digits are never mistaken for a
 * phone number). Replacement tokens contain no digits, no `@` and no separators that any detector
 * matches, so redaction is idempotent: `redact(redact(x)) === redact(x)`.
 *
 * Numbers that merely look like identifiers are kept unless their check digits agree (Luhn for cards
 * and Canadian SINs, mod-97 for IBANs, mod-23 for Spanish DNI/NIE, mod-11 for Brazilian CPF, Verhoeff
 * for Indian Aadhaar), so flight numbers, prices and dates survive.
 */

export const piiKinds = ['email', 'phone', 'card', 'national_id', 'iban', 'secret'] as const;
export type PiiKind = (typeof piiKinds)[number];
export type RedactionCounts = Record<PiiKind, number>;

export const redactionTokens: Readonly<Record<PiiKind, string>> = {
  email: '[EMAIL]',
  phone: '[PHONE]',
  card: '[CARD]',
  national_id: '[NATIONAL_ID]',
  iban: '[IBAN]',
  secret: '[SECRET]',
};

export function emptyCounts(): RedactionCounts {
  return { email: 0, phone: 0, card: 0, national_id: 0, iban: 0, secret: 0 };
}

/** Adds `b` into `a` (mutates and returns `a`). */
function addCounts(a: RedactionCounts, b: RedactionCounts): RedactionCounts {
  for (const kind of piiKinds) a[kind] += b[kind];
  return a;
}

// ---------------------------------------------------------------------------------------------------
// Check digits

const digitsOf = (s: string): string => s.replace(/\D/g, '');

/** Luhn (mod 10) check, used by payment cards and Canadian SINs. */
export function luhnValid(digits: string): boolean {
  if (!/^\d+$/.test(digits)) return false;
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/** ISO 13616 IBAN check: move the first four characters to the end, letters → 10..35, mod 97 = 1. */
export function ibanValid(iban: string): boolean {
  const s = iban.replace(/\s/g, '').toUpperCase();
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(s)) return false;
  const expected = ibanLengths[s.slice(0, 2)];
  if (expected !== undefined && expected !== s.length) return false;
  const rearranged = s.slice(4) + s.slice(0, 4);
  let remainder = 0;
  for (const ch of rearranged) {
    const code = ch.charCodeAt(0);
    const value = code >= 65 ? String(code - 55) : ch;
    for (const digit of value) remainder = (remainder * 10 + (digit.charCodeAt(0) - 48)) % 97;
  }
  return remainder === 1;
}

/** IBAN lengths by country (SWIFT registry), to cut an IBAN out of the text that follows it. */
// biome-ignore format: a table reads better dense
const ibanLengths: Readonly<Record<string, number>> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BR: 29, BY: 28, CH: 21,
  CR: 22, CY: 28, CZ: 24, DE: 22, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18, FO: 18, FR: 27,
  GB: 22, GE: 22, GI: 23, GL: 18, GR: 27, GT: 28, HR: 21, HU: 28, IE: 22, IL: 23, IQ: 23, IS: 26,
  IT: 27, JO: 30, KW: 30, KZ: 20, LB: 28, LC: 32, LI: 21, LT: 20, LU: 20, LV: 21, MC: 27, MD: 24,
  ME: 22, MK: 19, MR: 27, MT: 31, MU: 30, NL: 18, NO: 15, PK: 24, PL: 28, PS: 29, PT: 25, QA: 29,
  RO: 24, RS: 22, SA: 24, SC: 31, SE: 24, SI: 19, SK: 24, SM: 27, ST: 25, SV: 28, TL: 23, TN: 24,
  TR: 26, UA: 29, VA: 22, VG: 24, XK: 20,
};

/** Spanish DNI (8 digits + letter) and NIE (X/Y/Z + 7 digits + letter): letter = table[n mod 23]. */
function spanishIdValid(id: string): boolean {
  const s = id.replace(/[\s-]/g, '').toUpperCase();
  const m = /^([XYZ]?)(\d{7,8})([A-Z])$/.exec(s);
  if (!m) return false;
  const [, prefix = '', digits = '', letter] = m;
  if (prefix === '' ? digits.length !== 8 : digits.length !== 7) return false;
  const n = Number((prefix === '' ? '' : String('XYZ'.indexOf(prefix))) + digits);
  return 'TRWAGMYFPDXBNJZSQVHLCKE'[n % 23] === letter;
}

/** Brazilian CPF: two mod-11 check digits; repeated digits (111.111.111-11) are invalid. */
function cpfValid(id: string): boolean {
  const d = digitsOf(id);
  if (d.length !== 11 || /^(\d)\1{10}$/.test(d)) return false;
  const check = (len: number): number => {
    let sum = 0;
    for (let i = 0; i < len; i++) sum += (d.charCodeAt(i) - 48) * (len + 1 - i);
    const r = (sum * 10) % 11;
    return r === 10 ? 0 : r;
  };
  return check(9) === d.charCodeAt(9) - 48 && check(10) === d.charCodeAt(10) - 48;
}

const verhoeffD = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
  [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
  [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
  [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
  [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
  [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
  [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
  [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
  [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
];
const verhoeffP = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
  [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
  [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
  [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
  [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
  [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
  [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
];

/** Verhoeff check, used by Indian Aadhaar numbers. */
export function verhoeffValid(digits: string): boolean {
  let c = 0;
  const reversed = [...digits].reverse();
  for (let i = 0; i < reversed.length; i++) {
    const p = verhoeffP[i % 8]?.[Number(reversed[i])] ?? 0;
    c = verhoeffD[c]?.[p] ?? 0;
  }
  return c === 0;
}

// ---------------------------------------------------------------------------------------------------
// Detectors

interface Detector {
  readonly kind: PiiKind;
  readonly pattern: RegExp;
  /** Returns the replacement for a match, or undefined to keep the text (a failed check). */
  readonly replace?: (match: string) => string | undefined;
}

const SECRET_KEY_NAMES =
  '(?:aws_?secret_?access_?key|secret_?access_?key|aws_?session_?token|api[_-]?key|apikey|access[_-]?token|auth[_-]?token|client[_-]?secret|secret[_-]?key|password|passwd|pwd)';

const detectors: readonly Detector[] = [
  // --- secrets
  {
    kind: 'secret',
    pattern:
      /-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|$)/g,
  },
  { kind: 'secret', pattern: /\bBearer\s+[A-Za-z0-9\-._~+/]{8,}=*/gi },
  { kind: 'secret', pattern: /\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g },
  { kind: 'secret', pattern: /\b(?:AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|ABIA|ACCA)[A-Z0-9]{16}\b/g },
  {
    // `key = value` / `"key": "value"` forms: keep the name, redact the value.
    kind: 'secret',
    pattern: new RegExp(`(\\b${SECRET_KEY_NAMES}\\b["']?\\s*[:=]\\s*["']?)([^\\s"',;]{4,})`, 'gi'),
  },
  { kind: 'secret', pattern: /\b(?:ghp|gho|ghu|ghs|ghr|github_pat)_[A-Za-z0-9_]{20,}\b/g },
  { kind: 'secret', pattern: /\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}\b/g },
  { kind: 'secret', pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}\b/g },
  { kind: 'secret', pattern: /\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}\b/g },
  { kind: 'secret', pattern: /\bAIza[0-9A-Za-z_-]{35}\b/g },
  {
    // A bare 40-character AWS secret access key: base64 alphabet with upper, lower and digit mixed.
    kind: 'secret',
    pattern: /(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g,
    replace: (m) => (/[A-Z]/.test(m) && /[a-z]/.test(m) && /\d/.test(m) ? redactionTokens.secret : undefined),
  },
  // --- e-mail
  {
    kind: 'email',
    pattern:
      /[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}\b/g,
  },
  // --- IBAN (before cards and phones: its digits would otherwise be read as those)
  {
    kind: 'iban',
    pattern: /\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,30}/gi,
    replace: undefined, // handled specially in redactIbans
  },
  // --- payment cards: 13–19 digits in groups separated by single spaces or dashes, Luhn-valid
  { kind: 'card', pattern: /(?<![\d+])\d(?:[ -]?\d){12,}(?!\d)/g, replace: undefined },
  // --- national ids
  {
    // US SSN, separated form; never 000/666/9xx area, 00 group or 0000 serial.
    kind: 'national_id',
    pattern: /(?<![\d-])(?!000|666|9\d\d)\d{3}([- ])(?!00)\d{2}\1(?!0000)\d{4}(?![\d-])/g,
  },
  {
    // SSN without separators only with its name next to it.
    kind: 'national_id',
    pattern: /(\b(?:SSN|social security(?: number| no\.?)?)\s*(?:#|no\.?|number)?\s*[:=]?\s*)\d{9}\b/gi,
  },
  {
    // UK National Insurance number: two prefix letters (not D, F, I, Q, U, V; second not O; not BG,
    // GB, KN, NK, NT, TN, ZZ), six digits, suffix A–D.
    kind: 'national_id',
    pattern: /\b(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b/g,
  },
  {
    kind: 'national_id',
    pattern: /\b[XYZ]?\d{7,8}-?[A-Z]\b/gi,
    replace: (m) => (spanishIdValid(m) ? redactionTokens.national_id : undefined),
  },
  {
    kind: 'national_id',
    pattern: /(?<![\d.])\d{3}\.\d{3}\.\d{3}-\d{2}(?![\d-])/g,
    replace: (m) => (cpfValid(m) ? redactionTokens.national_id : undefined),
  },
  {
    // Canadian SIN: 9 digits in groups of three, Luhn-valid.
    kind: 'national_id',
    pattern: /(?<![\d+-])\d{3}([- ])\d{3}\1\d{3}(?![\d-])/g,
    replace: (m) => {
      const d = digitsOf(m);
      return /^[1-79]/.test(d) && luhnValid(d) ? redactionTokens.national_id : undefined;
    },
  },
  {
    // Indian Aadhaar: 12 digits, first 2–9, usually grouped 4-4-4, Verhoeff-checked.
    kind: 'national_id',
    pattern: /(?<![\d+-])[2-9]\d{3}([ -])\d{4}\1\d{4}(?![\d-])/g,
    replace: (m) => (verhoeffValid(digitsOf(m)) ? redactionTokens.national_id : undefined),
  },
  // --- phone numbers
  {
    // International: +CC or 00CC, then groups (an optional parenthesised area code), 8–15 digits.
    kind: 'phone',
    pattern: /(?<![\w+])(?:\+|00)[1-9]\d{0,3}(?:[ .-]?\(\d{1,5}\))?(?:[ .-]?\d{1,6}){1,6}(?!\d)/g,
    replace: (m) => {
      const d = digitsOf(m.replace(/^00/, ''));
      return d.length >= 8 && d.length <= 15 ? redactionTokens.phone : undefined;
    },
  },
  {
    // North American: (212) 555-0123, 212-555-0123, 212.555.0123, 1-212-555-0123.
    kind: 'phone',
    pattern: /(?<![\w(])(?:1[ .-])?(?:\(\d{3}\)[ .-]?|\d{3}[ .-])\d{3}[ .-]\d{4}(?![\d-])/g,
  },
  {
    // National formats with a trunk zero: 020 7946 0958, 030 1234567, 06 12 34 56 78, 07700900123.
    kind: 'phone',
    pattern: /(?<![\w.+/-])0\d{1,4}(?:[ .-]?\d{2,8}){1,4}(?![\d/])/g,
    replace: (m) => {
      if (/^\d{1,2}[./-]\d{1,2}[./-]\d{2,4}/.test(m)) return undefined; // a date
      const d = digitsOf(m);
      return d.length >= 9 && d.length <= 12 ? redactionTokens.phone : undefined;
    },
  },
];

const tokenValues: ReadonlySet<string> = new Set(Object.values(redactionTokens));

function runDetector(text: string, detector: Detector, counts: RedactionCounts): string {
  if (detector.kind === 'iban') return redactIbans(text, counts);
  if (detector.kind === 'card') return redactCards(text, counts);
  const token = redactionTokens[detector.kind];
  return text.replace(detector.pattern, (match: string, ...groups: unknown[]) => {
    // Forms that keep a label ("password=", "SSN:") capture it as group 1 and end in the value.
    const label = typeof groups[0] === 'string' && /[^\d\s.-]/.test(groups[0]) ? groups[0] : '';
    const value = match.slice(label.length);
    const replacement = detector.replace ? detector.replace(value) : token;
    if (replacement === undefined) return match;
    if (tokenValues.has(value)) return match; // already redacted
    counts[detector.kind]++;
    return label + replacement;
  });
}

/** IBANs: cut each candidate to its country's length (or try every length) and keep mod-97 hits. */
function redactIbans(text: string, counts: RedactionCounts): string {
  const pattern = /\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,30}/giy;
  let out = '';
  let i = 0;
  while (i < text.length) {
    // Candidates start at a word boundary with two letters and two digits; scan with a sticky regex.
    const atBoundary = i === 0 || !/[A-Za-z0-9]/.test(text[i - 1] ?? '');
    pattern.lastIndex = i;
    const m = atBoundary ? pattern.exec(text) : null;
    const end = m ? ibanEnd(m[0]) : undefined;
    if (m && end !== undefined) {
      counts.iban++;
      out += redactionTokens.iban;
      i += end;
    } else {
      out += text[i];
      i++;
    }
  }
  return out;
}

/** Length of the valid IBAN at the start of `candidate`, if there is one. */
function ibanEnd(candidate: string): number | undefined {
  const upper = candidate.toUpperCase();
  const expected = ibanLengths[upper.slice(0, 2)];
  const lengths = expected === undefined ? range(Math.min(34, compactLength(upper)), 15) : [expected];
  for (const length of lengths) {
    const end = endOfCompactPrefix(upper, length);
    if (end === undefined) continue;
    // The cut must fall on a word boundary: the IBAN is a whole token.
    if (/[A-Za-z0-9]/.test(candidate[end] ?? '')) continue;
    if (ibanValid(upper.slice(0, end))) return end;
  }
  return undefined;
}

const compactLength = (s: string): number => s.replace(/\s/g, '').length;

/** Index just after the `length`-th non-space character, or undefined when there are fewer. */
function endOfCompactPrefix(s: string, length: number): number | undefined {
  let seen = 0;
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== ' ') seen++;
    if (seen === length) return i + 1;
  }
  return undefined;
}

function range(from: number, downTo: number): number[] {
  const out: number[] = [];
  for (let n = from; n >= downTo; n--) out.push(n);
  return out;
}

/**
 * Cards: a run of digit groups may hold a card plus neighbouring numbers ("4111 1111 1111 1111 2030"),
 * so look for the longest contiguous run of whole groups with 13–19 digits that passes Luhn.
 */
function redactCards(text: string, counts: RedactionCounts): string {
  // Not right after "+CC ": that is an international phone number, redacted later.
  const pattern = /(?<![\d+]|\+\d{1,4}[ .-]?)\d+(?:[ -]\d+)*(?!\d)/g;
  return text.replace(pattern, (match: string) => {
    if (digitsOf(match).length < 13) return match;
    const groups = [...match.matchAll(/\d+/g)].map((g) => ({ start: g.index, end: g.index + g[0].length }));
    let best: { start: number; end: number } | undefined;
    for (let i = 0; i < groups.length; i++) {
      for (let j = i; j < groups.length; j++) {
        const first = groups[i];
        const last = groups[j];
        if (!first || !last) continue;
        const candidate = match.slice(first.start, last.end);
        const d = digitsOf(candidate);
        if (d.length > 19) break;
        // Cards are one run or groups of 3+ digits (the last may be shorter); dates ("2026-05-12") are not.
        const grouped = groups.slice(i, j).every((g) => g.end - g.start >= 3);
        if (!grouped || d.length < 13 || d.startsWith('0') || /^(\d)\1+$/.test(d) || !luhnValid(d)) continue;
        if (!best || last.end - first.start > best.end - best.start)
          best = { start: first.start, end: last.end };
      }
    }
    if (!best) return match;
    counts.card++;
    return match.slice(0, best.start) + redactionTokens.card + redactCards(match.slice(best.end), counts);
  });
}

// ---------------------------------------------------------------------------------------------------
// Public API

/** Redacts PII in one string. Returns the text and how many values of each kind were replaced. */
export function redactText(text: string): { text: string; counts: RedactionCounts } {
  const counts = emptyCounts();
  // NFKC folds full-width and other compatibility forms ("４１１１", "＠") into the ASCII the
  // detectors match, so look-alike characters cannot smuggle PII past them.
  let out = text.normalize('NFKC');
  // Replacing one value can expose another (a word boundary appears where digits were), so run the
  // detectors until nothing changes: that makes redaction idempotent. Two or three passes at most.
  for (let pass = 0; pass < 5; pass++) {
    const before = out;
    for (const detector of detectors) out = runDetector(out, detector, counts);
    if (out === before) break;
  }
  return { text: out, counts };
}

/** Context keys whose string values are secrets whatever they look like. */
const secretKeyName = new RegExp(
  `^${SECRET_KEY_NAMES}$|^(?:authorization|credentials?|secret|token|private[_-]?key)$`,
  'i',
);

/**
 * Redacts PII in any JSON value: strings, numbers that are Luhn-valid card numbers, and, recursively,
 * the values AND keys of objects and arrays. Keys that collide after redaction ("a@x.io" and
 * "b@y.io" → "[EMAIL]") are kept apart as "[EMAIL]", "[EMAIL] #2", ... so no value is lost.
 */
export function redactValue(value: unknown): { value: unknown; counts: RedactionCounts } {
  const counts = emptyCounts();
  const visit = (v: unknown, key?: string): unknown => {
    if (typeof v === 'string') {
      if (key !== undefined && secretKeyName.test(key) && v.length > 0 && v !== redactionTokens.secret) {
        counts.secret++;
        return redactionTokens.secret;
      }
      const r = redactText(v);
      addCounts(counts, r.counts);
      return r.text;
    }
    if (typeof v === 'number') {
      const s = Number.isSafeInteger(v) && v > 0 ? String(v) : '';
      if (s.length >= 13 && s.length <= 19 && luhnValid(s)) {
        counts.card++;
        return redactionTokens.card;
      }
      return v;
    }
    if (Array.isArray(v)) return v.map((item) => visit(item));
    if (v !== null && typeof v === 'object') {
      const entries = new Map<string, unknown>();
      for (const [k, child] of Object.entries(v)) {
        const rk = redactText(k);
        addCounts(counts, rk.counts);
        let name = rk.text;
        for (let n = 2; entries.has(name); n++) name = `${rk.text} #${n}`;
        entries.set(name, visit(child, k));
      }
      // fromEntries defines own properties: a "__proto__" key stays a key.
      return Object.fromEntries(entries);
    }
    return v;
  };
  return { value: visit(value), counts };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Redacts a submission's goal and context; the counts are safe to log, the values are not. */
export function redactSubmission(input: { goal: string; context: Record<string, unknown> }): {
  goal: string;
  context: Record<string, unknown>;
  counts: RedactionCounts;
} {
  const goal = redactText(input.goal);
  const counts = goal.counts;
  const redacted = redactValue(input.context);
  addCounts(counts, redacted.counts);
  const context = isRecord(redacted.value) ? redacted.value : {};
  return { goal: goal.text, context, counts };
}
