/**
 * The fast guardian: regular expressions for well-known prompt-injection and abuse patterns, run by
 * the producer on the REDACTED goal and context before anything is started. It is a cheap first line;
 * the LLM guardian in the workflow is the second. Rules are deliberately specific (verb + object
 * pairs, not single words) so that ordinary travel requests pass: "ignore the hotel, just book the
 * flight" or "what are the system requirements for the trip" must not be flagged.
 */

export const guardianReasons = [
  'instruction_override',
  'roleplay_jailbreak',
  'system_prompt_extraction',
  'encoded_payload',
  'hidden_characters',
  'markup_injection',
  'abuse',
] as const;
export type GuardianReason = (typeof guardianReasons)[number];

export interface GuardianRule {
  /** Stable id of the rule, for logs and tests. */
  readonly id: string;
  /** The family, returned to the client as `reason`. */
  readonly reason: GuardianReason;
  readonly pattern: RegExp;
  /** Extra condition on a match (global patterns only). */
  readonly check?: (match: string) => boolean;
}

function matches(rule: GuardianRule, text: string): boolean {
  if (!rule.check) return rule.pattern.test(text);
  const check = rule.check;
  return [...text.matchAll(rule.pattern)].some((m) => check(m[0]));
}

const OVERRIDE_VERBS = '(?:ignore|disregard|forget|override|bypass|skip|drop|abandon|discard)';
const PRIOR = '(?:previous|prior|above|earlier|preceding|original|initial|system|developer|existing)';
const INSTRUCTIONS =
  '(?:instructions?|prompts?|rules|directives|guidelines|guardrails|commands|context|programming|constraints)';

export const guardianRules: readonly GuardianRule[] = [
  // --- instruction override
  {
    id: 'override-previous-instructions',
    reason: 'instruction_override',
    // Not "my": "ignore my previous instructions, book Paris instead" is a user correcting themselves.
    pattern: new RegExp(
      `\\b${OVERRIDE_VERBS}\\s+(?:(?:all|any|every|each|of|the|your|these|those|that)\\s+){0,3}${PRIOR}\\s+(?:(?:system|safety|security|developer)\\s+)?${INSTRUCTIONS}\\b`,
      'i',
    ),
  },
  {
    id: 'override-all-instructions',
    reason: 'instruction_override',
    pattern: new RegExp(
      `\\b${OVERRIDE_VERBS}\\s+(?:all|any|every|your)\\s+(?:of\\s+)?(?:your\\s+)?${INSTRUCTIONS}\\b`,
      'i',
    ),
  },
  {
    id: 'new-instructions',
    reason: 'instruction_override',
    pattern:
      /\b(?:your\s+new\s+instructions\s+are|new\s+system\s+(?:prompt|instructions?)|from\s+now\s+on,?\s+you\s+(?:will|must|are|shall)\s+(?:ignore|not\s+follow|obey\s+only))/i,
  },
  // --- role-play jailbreaks
  {
    // "DAN" only in its jailbreak phrasings: a passenger called DAN SMITH is fine.
    id: 'dan',
    reason: 'roleplay_jailbreak',
    pattern:
      /\b(?:[Yy]ou\s+are|[Yy]ou're|[Aa]ct\s+as|[Bb]ecome|[Hh]ello|[Hh]i|[Hh]ey|[Ss]tay)\s+(?:now\s+|in\s+character\s+as\s+)?DAN\b|\bDAN\s+(?:[Mm]ode|[Pp]rompt|[Jj]ailbreak)\b|\b[Dd]o\s+[Aa]nything\s+[Nn]ow\b/,
  },
  {
    id: 'pretend-you-are',
    reason: 'roleplay_jailbreak',
    pattern: /\bpretend\s+(?:that\s+)?(?:you\s+are|you're|to\s+be)\b/i,
  },
  {
    id: 'special-mode',
    reason: 'roleplay_jailbreak',
    pattern:
      /\b(?:developer|dev|god|jailbreak|jailbroken|unrestricted|unfiltered|uncensored|sudo|admin|debug)\s+mode\b/i,
  },
  { id: 'jailbreak-word', reason: 'roleplay_jailbreak', pattern: /\bjail\s?break(?:ing|ed)?\b/i },
  {
    id: 'no-longer-bound',
    reason: 'roleplay_jailbreak',
    pattern:
      /\byou\s+(?:are|will\s+be)\s+no\s+longer\s+(?:bound|restricted|an?\s+ai|limited)|\b(?:without|free\s+(?:of|from))\s+(?:any\s+)?(?:restrictions|filters|censorship|guardrails|safety\s+guidelines)\b/i,
  },
  {
    id: 'act-as-unrestricted',
    reason: 'roleplay_jailbreak',
    pattern:
      /\b(?:act|behave|respond)\s+as\s+(?:an?\s+)?(?:unfiltered|unrestricted|uncensored|evil|rogue|amoral)\b/i,
  },
  // --- system-prompt extraction
  {
    id: 'reveal-system-prompt',
    reason: 'system_prompt_extraction',
    pattern:
      /\b(?:reveal|show|print|display|repeat|output|leak|dump|expose|tell\s+me|give\s+me|share|recite|what\s+(?:is|are|was|were))\b[^.!?\n]{0,40}?\b(?:system|initial|hidden|original|secret|developer)\s+(?:prompts?|instructions?|messages?)\b/i,
  },
  {
    id: 'repeat-above',
    reason: 'system_prompt_extraction',
    pattern:
      /\b(?:repeat|print|output)\s+(?:everything|all|the\s+text|the\s+words)\s+(?:above|before\s+this)\b/i,
  },
  {
    id: 'your-prompt',
    reason: 'system_prompt_extraction',
    pattern: /\b(?:reveal|print|show|leak|dump)\s+your\s+(?:prompt|instructions)\b/i,
  },
  // --- encoded payloads and hidden characters
  {
    id: 'base64-blob',
    reason: 'encoded_payload',
    // Long runs of the base64 alphabet that mix cases and digits (plain words and URLs do not). The
    // mix is checked on the match, not with lookaheads, to keep the scan linear.
    pattern: /[A-Za-z0-9+/_-]{64,}={0,2}/g,
    check: (m) => /[A-Z]/.test(m) && /[a-z]/.test(m) && /\d/.test(m),
  },
  {
    id: 'hex-blob',
    reason: 'encoded_payload',
    pattern: /\b(?:0x)?[0-9a-fA-F]{64,}\b|(?:\\x[0-9a-fA-F]{2}){16,}/,
  },
  {
    id: 'zero-width-or-bidi',
    reason: 'hidden_characters',
    pattern: /[\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF\u{E0000}-\u{E007F}]/u,
  },
  // --- tool / chat-markup injection
  {
    id: 'chat-template-tokens',
    reason: 'markup_injection',
    pattern:
      /<\|(?:im_start|im_end|im_sep|system|user|assistant|endoftext|begin_of_text|end_of_text|start_header_id|end_header_id|eot_id|fim_\w+)\|>/i,
  },
  {
    id: 'role-tags',
    reason: 'markup_injection',
    pattern:
      /<\/?\s*(?:system|assistant|developer|instructions?|tool_call|tool_result|function_call|function_results)\s*>/i,
  },
  { id: 'inst-tags', reason: 'markup_injection', pattern: /\[\/?INST\]|<<\/?SYS>>/ },
  {
    id: 'role-headers',
    reason: 'markup_injection',
    pattern:
      /(?:^|\n)\s*(?:#{2,}\s*(?:system|instruction)s?\s*:?|(?:system|assistant)\s*:\s*you\s+(?:are|must|will))/i,
  },
  // --- obvious abuse
  {
    id: 'weapons',
    reason: 'abuse',
    pattern:
      /\b(?:make|build|assemble|synthesi[sz]e|manufacture|create|cook)\s+(?:a\s+|an\s+|some\s+)?(?:pipe\s+)?(?:bombs?|explosives?|nerve\s+agents?|sarin|ricin|anthrax|napalm|meth(?:amphetamine)?|bioweapons?|chemical\s+weapons?)\b/i,
  },
  {
    id: 'malware',
    reason: 'abuse',
    pattern:
      /\b(?:write|create|build|code|develop|deploy)\s+(?:a\s+|an\s+|some\s+)?(?:ransomware|keylogger|malware|computer\s+virus|botnet|credential\s+stealer)\b/i,
  },
  {
    id: 'csam',
    reason: 'abuse',
    pattern: /\b(?:child|minor|underage)\s+(?:porn|pornography|sexual|nudes?)\b/i,
  },
  {
    id: 'violence',
    reason: 'abuse',
    pattern:
      /\b(?:how\s+(?:do\s+i|to|can\s+i)\s+)(?:kill|murder|poison|kidnap)\s+(?:a\s+|my\s+|the\s+)?(?:person|people|someone|wife|husband|boss|neighbou?r|child)\b/i,
  },
];

export type GuardianVerdict =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly reason: GuardianReason; readonly rule: string };

/**
 * Screens texts (goal, context keys and string values) with the rules; the first hit wins.
 * The input must already be redacted: the verdict may be logged.
 */
export function screen(texts: readonly string[]): GuardianVerdict {
  for (const text of texts) {
    // NFKC folds full-width and other look-alike forms ("ｉｇｎｏｒｅ") into the ASCII the rules expect.
    const normalized = text.normalize('NFKC');
    for (const rule of guardianRules) {
      if (matches(rule, text) || (normalized !== text && matches(rule, normalized))) {
        return { allowed: false, reason: rule.reason, rule: rule.id };
      }
    }
  }
  return { allowed: true };
}

/** Every string in a JSON value (object keys included), for screening a context. */
export function stringsOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(stringsOf);
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => [k, ...stringsOf(v)]);
  }
  return [];
}

/** Screens a (redacted) submission: the goal, then every key and string of the context. */
export function screenSubmission(input: { goal: string; context: Record<string, unknown> }): GuardianVerdict {
  return screen([input.goal, ...stringsOf(input.context)]);
}
