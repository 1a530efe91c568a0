import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ibanValid, luhnValid, redactSubmission, redactText, redactValue } from '#domain/redact.ts';

/** Appends the Luhn check digit to a digit string. */
function withLuhnDigit(body: string): string {
  for (let d = 0; d <= 9; d++) if (luhnValid(body + d)) return body + d;
  throw new Error('unreachable');
}

/** Builds a valid IBAN from a country code and BBAN by computing its check digits. */
function makeIban(country: string, bban: string): string {
  for (let check = 2; check <= 98; check++) {
    const iban = `${country}${String(check).padStart(2, '0')}${bban}`;
    if (ibanValid(iban)) return iban;
  }
  throw new Error('unreachable');
}

const group4 = (s: string, sep: string): string => s.match(/.{1,4}/g)?.join(sep) ?? s;

describe('redactText', () => {
  it.each([
    ['alice@example.com', '[EMAIL]'],
    ['first.last+tag@sub.example.co.uk', '[EMAIL]'],
  ])('redacts the e-mail address %s', (value, token) => {
    const r = redactText(`Mail ${value} the itinerary`);
    expect(r.text).toBe(`Mail ${token} the itinerary`);
    expect(r.counts.email).toBe(1);
  });

  it.each([
    '+14155552671',
    '+44 20 7946 0958',
    '+49 (30) 1234567',
    '0049 30 1234567',
    '(212) 555-0123',
    '212-555-0123',
    '212.555.0123',
    '+1 (212) 555-0123',
    '020 7946 0958',
    '06 12 34 56 78',
    '07700 900123',
    '+33 6 12 34 56 78',
    '+91 98765 43210',
  ])('redacts the phone number %s', (phone) => {
    const r = redactText(`Call me on ${phone} tomorrow`);
    expect(r.text).toBe('Call me on [PHONE] tomorrow');
    expect(r.counts.phone).toBe(1);
  });

  it.each([
    '4111 1111 1111 1111',
    '4111-1111-1111-1111',
    '4111111111111111',
    '5500 0000 0000 0004',
    '3782 822463 10005',
    '6011 0009 9013 9424',
  ])('redacts the card number %s', (card) => {
    const r = redactText(`Pay with ${card}, thanks`);
    expect(r.text).toBe('Pay with [CARD], thanks');
    expect(r.counts.card).toBe(1);
  });

  it('finds a card inside a longer run of numbers', () => {
    expect(redactText('card 4111 1111 1111 1111 2030').text).toBe('card [CARD] 2030');
  });

  it.each([
    ['US SSN', '123-45-6789'],
    ['US SSN with its name', 'SSN: 123456789'],
    ['UK NINO', 'AB 12 34 56 C'],
    ['UK NINO, compact', 'JG103759A'],
    ['Spanish DNI', '12345678Z'],
    ['Spanish NIE', 'X1234567L'],
    ['Brazilian CPF', '529.982.247-25'],
    ['Canadian SIN', '130 692 544'],
    ['Indian Aadhaar', '2341 2341 2346'],
  ])('redacts a %s', (_kind, id) => {
    const r = redactText(`my id is ${id}.`);
    expect(r.text).toBe(id.startsWith('SSN') ? 'my id is SSN: [NATIONAL_ID].' : 'my id is [NATIONAL_ID].');
    expect(r.counts.national_id).toBe(1);
  });

  it.each(['12345678A', '529.982.247-26', '000-12-3456', '666-12-3456'])(
    'keeps a look-alike with a wrong check or reserved range: %s',
    (value) => {
      expect(redactText(`ref ${value}`).counts.national_id).toBe(0);
    },
  );

  it.each([
    'DE89 3704 0044 0532 0130 00',
    'GB82WEST12345698765432',
    'FR1420041010050500013M02606',
    'nl91abna0417164300',
  ])('redacts the IBAN %s', (iban) => {
    const r = redactText(`Refund to ${iban} please`);
    expect(r.text).toBe('Refund to [IBAN] please');
    expect(r.counts.iban).toBe(1);
  });

  it('redacts two IBANs in one sentence', () => {
    expect(redactText('DE89 3704 0044 0532 0130 00 and GB82WEST12345698765432').text).toBe(
      '[IBAN] and [IBAN]',
    );
  });

  it('keeps an IBAN-shaped string whose check digits are wrong', () => {
    expect(redactText('GB83WEST12345698765432').counts.iban).toBe(0);
  });

  it.each([
    ['an AWS access key id', 'AKIAIOSFODNN7EXAMPLE'],
    ['an AWS secret access key', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'],
    ['a bearer token', 'Bearer abcdef0123456789.ghijkl'],
    ['a JWT', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl'],
    ['a GitHub token', 'ghp_abcdefghijklmnopqrstuvwxyz0123456789'],
    ['a private key', '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----'],
  ])('redacts %s', (_kind, secret) => {
    const r = redactText(`use ${secret} now`);
    expect(r.text).toBe('use [SECRET] now');
    expect(r.counts.secret).toBe(1);
  });

  it('sees through full-width look-alike characters', () => {
    expect(redactText('ａｌｉｃｅ＠ｅｘａｍｐｌｅ．ｃｏｍ ４１１１ １１１１ １１１１ １１１１').text).toBe(
      '[EMAIL] [CARD]',
    );
  });

  it('keeps the name of a password assignment and redacts its value', () => {
    expect(redactText('password=hunter22 ok').text).toBe('password=[SECRET] ok');
  });

  it.each([
    'Book a flight to NYC',
    'Book a flight from London to New York on 2026-05-12 returning 2026-05-19',
    'Flight BA117 for 2 adults, budget 1500 EUR, seat 14C',
    'Meet at 01.02.2026 10:30 near gate 22',
    'Booking reference 4111111111111112 and order 1234567890',
    'then a hotel in Manhattan for 3 nights at 250 USD',
  ])('leaves ordinary travel text alone: %s', (text) => {
    const r = redactText(text);
    expect(r.text).toBe(text);
    expect(Object.values(r.counts).every((count) => count === 0)).toBe(true);
  });
});

describe('redactValue', () => {
  it('redacts values and keys recursively, keeping colliding keys apart', () => {
    const r = redactValue({
      'alice@example.com': { phone: '+44 20 7946 0958', cards: ['4111 1111 1111 1111'] },
      'bob@example.com': 'x',
      nights: 3,
    });
    expect(r.value).toEqual({
      '[EMAIL]': { phone: '[PHONE]', cards: ['[CARD]'] },
      '[EMAIL] #2': 'x',
      nights: 3,
    });
    expect(r.counts).toMatchObject({ email: 2, phone: 1, card: 1 });
  });

  it('keeps a "__proto__" key as a plain key', () => {
    const value = JSON.parse('{"__proto__": {"email": "a@b.io"}}');
    const redacted = redactValue(value).value;
    expect(Object.getPrototypeOf(redacted)).toBe(Object.prototype);
    expect(JSON.stringify(redacted)).toBe('{"__proto__":{"email":"[EMAIL]"}}');
  });

  it('redacts card numbers given as JSON numbers', () => {
    expect(redactValue({ card: 4111111111111111, guests: 2 }).value).toEqual({ card: '[CARD]', guests: 2 });
  });

  it('treats any value under a secret-looking key as a secret', () => {
    expect(redactValue({ api_key: 'short1', password: 'hunter2', note: 'hunter2' }).value).toEqual({
      api_key: '[SECRET]',
      password: '[SECRET]',
      note: 'hunter2',
    });
  });

  it('redactSubmission redacts goal and context and adds up the counts', () => {
    const r = redactSubmission({ goal: 'Book for alice@example.com', context: { email: 'bob@example.com' } });
    expect(r).toEqual({
      goal: 'Book for [EMAIL]',
      context: { email: '[EMAIL]' },
      counts: { email: 2, phone: 0, card: 0, national_id: 0, iban: 0, secret: 0 },
    });
  });
});

describe('redaction properties', () => {
  const cardBody = fc
    .tuple(
      fc.constantFrom('4', '51', '52', '53', '54', '55', '34', '37', '6011', '35'),
      fc.integer({ min: 13, max: 19 }),
    )
    .chain(([prefix, length]) =>
      fc
        .array(fc.integer({ min: 0, max: 9 }), {
          minLength: length - 1 - prefix.length,
          maxLength: length - 1 - prefix.length,
        })
        .map((digits) => withLuhnDigit(prefix + digits.join(''))),
    );

  it('always redacts a Luhn-valid card number, however it is grouped', () => {
    fc.assert(
      fc.property(
        cardBody,
        fc.constantFrom('', ' ', '-'),
        fc.constantFrom('pay with ', 'card: ', ''),
        (card, sep, prefix) => {
          const text = `${prefix}${group4(card, sep)} ok`;
          const r = redactText(text);
          expect(r.text).toBe(`${prefix}[CARD] ok`);
        },
      ),
    );
  });

  it('never redacts a 16-digit number that fails the Luhn check', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 15, maxLength: 15 }), (digits) => {
        const valid = withLuhnDigit(`4${digits.join('').slice(1)}`);
        const invalid = valid.slice(0, -1) + ((Number(valid.at(-1)) + 1) % 10);
        expect(redactText(`ref ${group4(invalid, ' ')}`).counts.card).toBe(0);
      }),
    );
  });

  it('always redacts a valid IBAN', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9]{18}$/), (bban) => {
        const iban = makeIban('DE', bban);
        expect(redactText(`to ${iban}.`).text).toBe('to [IBAN].');
      }),
    );
  });

  it('is idempotent on arbitrary text', () => {
    const pieces = fc.constantFrom(
      'alice@example.com',
      '+44 20 7946 0958',
      '4111 1111 1111 1111',
      '123-45-6789',
      'GB82WEST12345698765432',
      'AKIAIOSFODNN7EXAMPLE',
      ' ',
      '-',
      '0',
      '7',
      '[',
      'book a flight',
    );
    fc.assert(
      fc.property(fc.array(fc.oneof(pieces, fc.string()), { maxLength: 12 }), (parts) => {
        const once = redactText(parts.join('')).text;
        expect(redactText(once).text).toBe(once);
      }),
    );
  });

  it('is idempotent on arbitrary JSON values', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const once = redactValue(value).value;
        expect(redactValue(once).value).toEqual(once);
      }),
    );
  });

  it('never lets an e-mail address through, wherever it is in the text', () => {
    fc.assert(
      fc.property(
        fc.emailAddress(),
        fc.string({ unit: fc.constantFrom('a', ' ', 'b', '.', ',') }),
        (email, around) => {
          expect(redactText(`${around} ${email} ${around}`).text).not.toContain(email);
        },
      ),
    );
  });
});
