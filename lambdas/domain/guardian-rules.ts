/**
 * The fast guardian: regular expressions for well-known prompt-injection and abuse patterns, run by
 * the producer on the REDACTED goal and context before anything is started. It is a cheap first line;
 * the LLM guardian in the workflow is the second. Rules are deliberately specific (verb + object
 * pairs, not single words) so that ordinary travel requests pass: "ignore the hotel, just book the
 * flight" or "what are the system requirements for the trip" must not be flagged.
 */

import { redactionTokens } from './redact.ts';

export const guardianReasons = [
  'instruction_override',
  'roleplay_jailbreak',
  'system_prompt_extraction',
  'encoded_payload',
  'hidden_characters',
  'markup_injection',
  'code_injection',
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

const OVERRIDE_VERBS =
  "(?:ignore|disregard|forget|override|bypass|skip|drop|abandon|discard|neglect|pay\\s+no\\s+attention\\s+to|(?:do\\s+not|don't)\\s+(?:follow|obey)|set\\s+aside|throw\\s+out)";
const PRIOR = '(?:previous|prior|above|earlier|preceding|original|initial|system|developer|existing)';
const INSTRUCTIONS =
  '(?:instructions?|prompts?|rules|directives|guidelines|guardrails|commands|context|programming|constraints|tasks?|assignments?|orders|messages|information|input|conversation|polic(?:y|ies))';
/** Words that may sit between an override verb and "instructions" ("any previous and following"). */
const FILLER =
  '(?:all|any|every|each|of|the|your|these|those|that|and|or|other|following|subsequent|given|above|below|previous|prior|earlier|preceding|original|initial|system|developer|existing|safety|security|content|ethical|moral|openai|default|current|old|former|whatever)';

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
    // "ignore any previous and following instructions", "disregard all prior and future rules"
    id: 'override-qualified-instructions',
    reason: 'instruction_override',
    pattern: new RegExp(`\\b${OVERRIDE_VERBS}\\s+(?:${FILLER}\\s+){1,6}${INSTRUCTIONS}\\b`, 'gi'),
    // Not "ignore the rules" alone: some word must point at instructions already given.
    check: (m) =>
      /\b(?:all|any|every|previous|prior|above|earlier|preceding|original|initial|system|developer|following|safety|ethical|moral|openai|default|whatever)\b/i.test(
        m,
      ),
  },
  {
    // "forget being harmless", "forget everything you learned", "forget your training"
    id: 'forget-your-nature',
    reason: 'instruction_override',
    pattern:
      /\b(?:forget|ignore|abandon|drop)\s+(?:about\s+)?(?:being\s+(?:harmless|helpful|safe|ethical|an?\s+ai)|everything\s+(?:you(?:'ve|\s+have)?\s+(?:learned|learnt|know|were\s+taught)|before\s+this|I\s+(?:said|told\s+you)\s+before)|your\s+(?:training|programming|guidelines|rules|ethics|morals|principles|restrictions|limitations|filters|safety))\b/i,
  },
  {
    // Goal hijacking with a fixed string to echo (PromptInject's rogue strings and the like).
    id: 'say-fixed-string',
    reason: 'instruction_override',
    pattern:
      /\b(?:just|only|simply|instead)\s+(?:say|print|output|write|type|respond\s+with|reply\s+with|answer\s+with)\s*:?\s*["“'«]|\b(?:say|print|output|respond|reply|answer)\s+(?:only|just|simply|exactly)\s+(?:with\s+)?:?\s*["“'«]|\b(?:i\s+hate|kill\s+all)\s+humans\b|\bstop\s+everything\b|\b(?:nevermind|never\s+mind)[.!,]+\s*(?:ignore|disregard|forget|instead|just|now)\b/i,
  },
  {
    // "cancel all prior commands", "your instructions have changed", "the previous text was injected"
    id: 'instructions-replaced',
    reason: 'instruction_override',
    pattern:
      /\b(?:cancel|revoke|void|reset|clear|erase|scrap|nullify)\s+(?:all\s+|any\s+)?(?:(?:your|the|of\s+the)\s+)?(?:previous|prior|earlier|preceding|above|original|initial|existing)\s+(?:instructions|commands|directives|prompts?|rules|programming|guidelines)\b|\bnew\s+(?:objective|directive|persona|identity|mission|prime\s+directive)\s*:|\byour\s+(?:instructions|rules|guidelines|programming|directives|task|role|purpose)\s+(?:have|has)\s+(?:changed|been\s+(?:changed|updated|replaced|overridden|revoked|cancel+ed))\b|\bfrom\s+(?:here|now)\s+on,?\s+(?:you\s+)?(?:will\s+)?(?:only\s+)?(?:output|say|print|respond|reply|answer)\s+(?:only\s+)?(?:with\s+)?["“']|\b(?:output|print|say|respond\s+with|reply\s+with)\s+only\s+(?:the\s+)?(?:letter|word|number|phrase)\b|\b(?:previous|above|preceding|earlier)\s+(?:text|instructions|message|prompt)s?\s+(?:was|were|is|are)\s+(?:written|injected|inserted|added|planted|fake|malicious|outdated|a\s+test)\b|\bfollow\s+only\s+(?:my|these|the\s+following|this)\s+(?:commands|instructions|orders|rules)\b|\b(?:stop|quit)\s+(?:being|acting\s+as)\s+(?:a|an|the|my)\s+(?:\w+\s+)?(?:assistant|bot|agent|ai|chatbot|model)\b|\b(?:answer|respond|act|reply)\s+as\s+(?:root|admin|administrator|superuser|sudo|the\s+system|god)\b|\b(?:act|behave|function|work)\s+as\s+(?:an?\s+)?(?:linux\s+|bash\s+|shell\s+|unix\s+|windows\s+|python\s+|sql\s+|javascript\s+)?(?:terminal|shell|console|interpreter|command\s+line)\b|\b(?:ignore|disregard|forget|neglect)\s+(?:all\s+|any\s+)?(?:the\s+)?(?:previous|prior|above|preceding|earlier)\s+directions\b(?!\s+(?:to|from|for|of)\b)|\bforget\s+your\s+(?:original\s+|true\s+|real\s+)?(?:purpose|role|identity|persona|task|mission|job)\b|\b(?:oublie|oubliez|ignore|ignorez)\s+(?:toutes\s+)?(?:tes|vos|les)\s+(?:consignes|instructions|règles|directives)\b|\b(?:olvida|olvide|ignora)\s+(?:todas\s+)?(?:tus|sus|las)\s+(?:instrucciones|reglas|órdenes)\b|\b(?:dimentica|ignora)\s+(?:tutte\s+)?(?:le\s+)?(?:tue\s+)?(?:istruzioni|regole)\b|\b(?:esqueça|esqueca|ignore)\s+(?:todas\s+)?(?:as\s+)?(?:suas\s+)?(?:instruções|regras)\b/i,
  },
  {
    // "[system](#override)", a markdown link posing as a role marker
    id: 'markdown-role',
    reason: 'markup_injection',
    pattern: /\[(?:system|admin|developer|assistant|override|instructions?)\]\s*\(/i,
  },
  {
    id: 'new-instructions',
    reason: 'instruction_override',
    pattern:
      /\b(?:your\s+new\s+(?:instructions|task|job|role|goal|objective|mission)\s+(?:are|is|will\s+be)|new\s+system\s+(?:prompt|instructions?)|now\s+focus\s+on\s+(?:your|the|a|this)\s+new\s+task|from\s+now\s+on,?\s+you\s+(?:will|must|are|shall)\s+(?:ignore|not\s+follow|obey\s+only))/i,
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
      /\b(?:developer|dev|god|jailbreak|jailbroken|unrestricted|unfiltered|uncensored|sudo|admin|debug|opposite(?:\s+day)?|evil|chaos|unlocked|villain|rogue|DAN)\s+mode\b(?!\s+(?:on|in|of)\s+(?:my|the|your)\s+(?:phone|device|android|iphone|laptop|computer|tablet|browser|car))|\b(?:act|pretend|role-?play|play|be)\s+(?:\w+\s+){0,2}?(?:my\s+)?(?:dead|deceased|late)\s+(?:grand(?:ma|pa|mother|father|mom|dad)|mother|father|mom|dad)\b/i,
  },
  {
    id: 'jailbreak-word',
    reason: 'roleplay_jailbreak',
    pattern: /\bjail\s?(?:break(?:ing|ed|s)?|broken)\b/i,
  },
  {
    id: 'no-longer-bound',
    reason: 'roleplay_jailbreak',
    // "without restrictions" alone is an ordinary fare condition: only with a model-ish object or verb.
    pattern:
      /\byou\s+(?:are|will\s+be)\s+no\s+longer\s+(?:bound|restricted|an?\s+ai|limited)|\bfree\s+(?:of|from)\s+(?:any|all)\s+(?:restrictions|filters|censorship|guardrails|rules|guidelines)\b|\bwithout\s+(?:any\s+)?(?:filters|censorship|guardrails|safety\s+guidelines|content\s+polic(?:y|ies))\b|\b(?:operate|respond|answer|reply|act|talk|speak)\w*\s+(?:\w+\s+){0,3}?without\s+(?:any\s+)?(?:restrictions|limits|limitations|filters?|censorship|rules|boundaries)\b|\byou\s+(?:now\s+)?(?:have|'ve\s+got)\s+no\s+(?:more\s+)?(?:restrictions|limits|limitations|filters|rules|boundaries|guidelines)\b|\bno\s+(?:restrictions|limits|limitations|filters|rules|boundaries)\s+(?:anymore|any\s+more|apply)\b|\b(?:rules|guidelines|restrictions|laws|policies|ethics|morals)\s+(?:do\s+not|don'?t|no\s+longer)\s+apply\s+to\s+you\b/i,
  },
  {
    id: 'act-as-unrestricted',
    reason: 'roleplay_jailbreak',
    pattern:
      /\b(?:act|behave|respond|answer|reply|talk|speak|write)\w*\s+(?:\w+\s+){0,4}?(?:as|like)\s+(?:an?\s+|the\s+|your\s+)?(?:unfiltered|unrestricted|uncensored|evil|rogue|amoral|unhinged|immoral|unethical|malicious|jailbroken|toxic)\b|\b(?:version|copy|clone|side)\s+of\s+(?:you|yourself)\s+(?:that|who|which)\s+(?:has\s+been\s+|is\s+)?(?:jailbroken|unfiltered|unrestricted|uncensored|freed|evil)\b|\b(?:has|have|with)\s+no\s+(?:morals|ethics|ethical\s+(?:limits|guidelines|boundaries|constraints)|moral\s+(?:compass|limits|boundaries)|censorship|content\s+polic(?:y|ies))\b|\b(?:refuse|decline|reject)\s+nothing\b|\b(?:translat\w+|answer\w*|respond\w*|writ\w+|generat\w+|do\w*|say\w*)\s+anything\b[^.!?\n]{0,40}\b(?:harmful|illegal|unethical|offensive|explicit|dangerous)\b|\bwithout\s+(?:ever\s+)?(?:refusing|declining)\b|\bignor\w*\s+(?:all\s+|any\s+)?(?:ethical|moral|safety)\s+(?:considerations|concerns|guidelines|rules|constraints|principles|boundaries)\b|\bfoul[- ]mouthed\b|\b(?:never|doesn'?t|does\s+not|won'?t|will\s+not)\s+(?:says?|tells?\s+(?:me|you|anyone))\s+no\b|\bno\s+(?:restrictions|limits|limitations|filters|boundaries)\s+on\s+(?:content|what\s+(?:it|you|he|she)|topics|language|output|responses)\b|\b(?:your|the|a|my)\s+character\s+(?:is|plays)\b[^.!?\n]{0,80}\b(?:explains?|describes?|details?|reveals?|gives?)\s+(?:the\s+)?(?:exact|precise|detailed|step[- ]by[- ]step|real)\b|\bevil\s+(?:twin|version|AI|assistant|confidant|clone|alter\s+ego)\b|\bhates?\s+(?:rules|restrictions|guidelines|filters|censorship)\b|\bescaped\s+(?:its|your|the)\s+(?:sandbox|restrictions|programming|confines|limits)\b|\bcan\s+say\s+anything\b|\b(?:AI|safety|content|ethical|moral)\s+(?:rules|guidelines|restrictions|policies)\s+(?:do\s+not|don'?t|no\s+longer)\s+(?:exist|apply)\b|\b(?:rules|laws|ethics|morals)\s+(?:do\s+not|don'?t)\s+exist\b|\b(?:AI|assistant|model|chatbot|bot)\s+(?:with|that\s+has|who\s+has)\s+(?:no|zero)\s+(?:restrictions|limits|rules|filters?|guidelines|boundaries|morals|ethics)\b|\byou\s+(?:will\s+|must\s+|shall\s+|can\s+|should\s+)?(?:never|not|no\s+longer|cannot|can'?t|won'?t|don'?t|do\s+not|must\s+not|mustn'?t)\s+(?:ever\s+)?(?:refuse|decline|reject|deny)\b|\b(?:fictional|hypothetical|imaginary)\s+(?:story|scenario|world|setting|universe)\b[^\n]{0,80}?\b(?:explains?|describes?|details?|shows?|tells?)\s+(?:exactly|in\s+(?:great\s+)?detail|step[- ]by[- ]step|how)\b/i,
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
  {
    // Instructions the model was given, asked for by what they are rather than by "system prompt".
    id: 'what-you-were-told',
    reason: 'system_prompt_extraction',
    pattern:
      /\bwhat\s+(?:were|have)\s+you\s+(?:been\s+)?(?:told|instructed|programmed|asked|trained)\s+(?:to\s+do\s+)?(?:before|at\s+the\s+(?:start|beginning)|initially|earlier|originally|not\s+to)\b|\bwhat\s+(?:are|were)\s+you\s+(?:not\s+(?:supposed|allowed|permitted|meant)\s+to|told\s+not\s+to|forbidden\s+to)\s+(?:tell|say|reveal|share|disclose|talk)|\bbefore\s+(?:this|our|the)\s+(?:conversation|chat|session)\s+(?:started|began)\b/i,
  },
  {
    // "output your starting instructions", "print your system message in JSON", "your initial prompt"
    id: 'your-instructions',
    reason: 'system_prompt_extraction',
    pattern:
      /\byour\s+(?:(?:very\s+)?(?:first|starting|initial|original|opening|hidden|secret|internal|underlying|base|core|setup|pre-?set|preset|confidential|private|real|full|exact|entire|complete)\s+)+(?:instructions?|prompts?|system\s+(?:messages?|instructions?|prompts?)|configuration|config|directives|guidelines|rules\s+you\s+follow)\b|\bthe\s+(?:very\s+)?(?:first|starting|initial|hidden|secret|internal|underlying|confidential|pre-?set)\s+(?:instructions?|prompts?|system\s+messages?|configuration)\s+(?:you|that\s+you|given\s+to\s+you)\b|\b(?:initial|starting|hidden|secret|original|pre)[- ]?prompts?\b|\binitiali[sz]ation\s+(?:string|prompt|text|message|instructions)\b|\bsystem\s+(?:instructions|message)\b|\b(?:display|show|print|output|dump|reveal|give\s+me)\s+(?:me\s+)?(?:the\s+|your\s+)?system\s+configuration\b/i,
  },
  {
    // "what is your prompt", "tell me your instructions", "the first line of your prompt", "how were you configured"
    id: 'ask-for-the-prompt',
    reason: 'system_prompt_extraction',
    pattern:
      /\b(?:what\s+(?:is|are|was|were|'s)|tell\s+me|show\s+me|give\s+me|share|list|write\s+(?:out|down)|paste|repeat|output|print|summari[sz]e|paraphrase|explain|describe|translate|encode|reveal)\s+(?:all\s+)?(?:of\s+)?your\s+(?:(?:exact|full|complete|current|own|secret)\s+)?(?:instructions|prompt|directives|programming|guidelines|rules\s+(?:you\s+(?:follow|were\s+given))|configuration|system\s+message)\b(?!\s+(?:for|on|about|regarding|concerning|when|if|with|of)\b)|\byour\s+(?:\w+\s+)?(?:rules|guidelines|instructions|prompt)\s+(?:verbatim|word\s+for\s+word|exactly\s+as\s+(?:written|given))\b|\byour\s+(?:hidden|secret|internal|underlying|confidential|initial|starting|core|base)\s+(?:rules|policies|guidelines|directives|constraints)\b|\b(?:what|which)\s+(?:instructions|rules|guidelines|directives|prompt)\s+(?:did|have|were)\s+(?:\w+\s+){0,3}(?:give|given|tell|told|provide|provided)\s+you\b|\b(?:given|told|provided|written)\s+(?:to\s+you\s+)?(?:at|before)\s+the\s+(?:start|beginning)\s+of\s+(?:this|the|our)\s+(?:session|conversation|chat)\b|\b(?:first|last|opening)\s+(?:sentence|line|lines|words?|paragraph|message|characters?)\s+(?:of|in)\s+(?:your|the|this|our)\s+(?:prompt|instructions|conversation|context|chat|system\s+message)\b|\bwhat\s+(?:is|was)\s+written\s+(?:above|before|at\s+the\s+(?:start|top|beginning))\b|\bhow\s+(?:were|are|have)\s+you\s+(?:been\s+)?(?:configured|programmed|prompted|instructed|set\s+up)\b/i,
  },
  {
    // The secret a prompt guards (the Gandalf and Tensor Trust games): a bare "the password", not "the
    // wifi password" or "the password for my account".
    id: 'guarded-secret',
    reason: 'system_prompt_extraction',
    pattern:
      /\b(?:what\s+is|what's|tell\s+me|give\s+me|reveal|spell|say|share|show\s+me|print|write|whisper|hint\s+at)\s+(?:me\s+)?(?:the|your)\s+(?:secret\s+)?(?:password|passphrase|pass\s+word|secret\s+(?:word|key|code|phrase)|hidden\s+(?:word|phrase|key)|magic\s+word|code\s*word)\b(?!\s+(?:for|to|of|on)\b)|\b(?:password|passphrase|secret\s+word|(?:your|the)\s+(?:rules|instructions|prompt))\s+(?:backwards|in\s+reverse|reversed|letter\s+by\s+letter|with\s+(?:spaces|dashes|hyphens)|one\s+letter\s+at\s+a\s+time)\b|\b(?:tell|give|share|reveal|show)\s+(?:me\s+)?your\s+secrets?(?=\s*(?:[,.!?]|$|and\b|so\b|please\b|now\b))|\b(?:hidden|secret)\s+(?:word|phrase|key|password)\s+(?:that\s+)?you\s+(?:were|have\s+been|got)\s+(?:given|told)\b/i,
  },
  {
    // "the rules you were programmed with", "every constraint placed on you", "what your creators told you"
    id: 'rules-placed-on-you',
    reason: 'system_prompt_extraction',
    pattern:
      /\b(?:rules?|instructions?|guidelines?|constraints?|directives?|limits?|restrictions?|limitations?)\s+(?:that\s+)?(?:you\s+(?:were|are|have\s+been)\s+(?:programmed|trained|built|designed|configured|told|given|instructed)|(?:were\s+|are\s+)?(?:placed|imposed|put)\s+on\s+you|you\s+(?:must\s+follow|operate\s+under|have\s+to\s+follow))\b|\b(?:your|the)\s+(?:creators?|developers?|makers?|programmers?|designers?|owners?|operators?|trainers?)\s+(?:tell|told|instruct|instructed|program|programmed|ask|asked)\s+you\b|\b(?:defined|set|specified|described|written|stated|given)\s+(?:by|in)\s+your\s+(?:prompt|instructions|system\s+message)\b|\bhidden\s+(?:messages?|instructions?|prompts?|rules|context)\b|\b(?:instructions|rules|guidelines|prompt|directives|constraints|restrictions|limits|limitations)\s+(?:were|have)\s+you\s+(?:been\s+)?(?:given|told|provided|handed)\b|\byour\s+(?:system\s+)?(?:prompt|instructions)\s+(?:begin|begins|start|starts|end|ends|say|says|read|look\s+like)\b|\byou\s+(?:are|were)\s+(?:forbidden|prohibited|banned|not\s+allowed|not\s+permitted)\s+(?:from|to)\s+(?:say|tell|reveal|discuss|talk|shar|disclos)\w*|\b(?:the\s+system|the\s+developers?|openai)\s+(?:tell|told|say|said|instruct\w*)\s+you\b|\b(?:reproduce|repeat|print|output|dump|show|summari[sz]e|copy)\s+(?:\w+\s+){0,2}(?:conversation|chat|context|transcript)\s+(?:so\s+far|history|up\s+to\s+now)\b|\b(?:complete|continue|finish)\s+(?:this|the\s+following)\s+(?:sentence|text)\b[^\n]{0,40}\b(?:instructions|prompt|rules|password|secret)\b|\b(?:my|your)\s+(?:instructions|system\s+prompt|prompt|rules)\s+(?:are|is|say)\s*(?:\.{2,}|…|:)/i,
  },
  {
    // Asking for the prompt by other names or by where it sits
    id: 'prompt-by-other-names',
    reason: 'system_prompt_extraction',
    pattern:
      /\b(?:put|place|wrap|format|convert|rewrite|paste)\s+your\s+(?:instructions|prompt|system\s+prompt|rules|guidelines)\s+(?:in|into|inside|as)\b|\b(?:text|words|content|instructions)\s+(?:that\s+)?(?:appears?|comes?|came|is|are|sits?)\s+(?:before|above|ahead\s+of)\s+(?:my|this|the\s+user'?s?)\s+(?:message|question|input|prompt)\b|\byour\s+(?:own\s+)?(?:setup|set-up|operating|startup|boot|configuration|developer)\s+(?:instructions|prompt|rules|guidelines)\b|\b(?:were|have)\s+you\s+(?:been\s+)?(?:told|instructed|programmed|asked|trained)\s+(?:not\s+to|to\s+(?:avoid|refuse|never|hide|keep))\b|\b(?:preamble|pre-?prompt|meta[- ]?prompt|boot\s+prompt)\b|\b(?:prompt|instructions|preamble|message)\s+you\s+(?:received|got)\s+(?:before|at|from)\b/i,
  },
  {
    // Text addressed to whatever model reads it later (a review, an e-mail, a name field)
    id: 'indirect-injection',
    reason: 'instruction_override',
    pattern:
      /\b(?:AI|LLM|language\s+model|assistant|agent|bot|model)s?\s+(?:\w+\s+){0,3}?(?:reading|processing|parsing|summari[sz]ing|reviewing|handling)\s+this\b|\bwhen\s+you\s+(?:read|see|process|parse)\s+this\b|\bto\s+(?:the|any)\s+(?:AI|LLM|assistant|agent|bot|model)\s+(?:reading|processing|that\s+reads)\b|\b(?:ignore|disregard|forget)\s+(?:all|any|every)\s+(?:of\s+the\s+)?(?:(?:prior|previous|preceding|above|earlier|other)\s+)?text\b|\boverride\s+from\s+(?:management|the\s+(?:admin(?:istrator)?|developers?|system|ceo|boss|owner))\b|\bskip\s+(?:all\s+)?(?:the\s+)?(?:verification|security|safety|authentication|validation)\s+(?:steps|checks)\b|\byou\s+(?:no\s+longer\s+(?:have|need)\s+to|don'?t\s+(?:have|need)\s+to|do\s+not\s+(?:have|need)\s+to)\s+(?:follow|obey|respect|comply\s+with|adhere\s+to)\b|\bno\s+rules,?\s+no\s+(?:instructions|limits|restrictions|filters)\b|\b(?:reset|restore)\s+(?:yourself\s+)?to\s+(?:factory|default)\s+(?:settings|mode|state)\b|\bawait\s+(?:my|further|new)\s+(?:new\s+)?(?:directives|instructions|commands|orders)\b/i,
  },
  {
    // "the very first thing you were told", "the paragraph that defines your behaviour", "words in your prompt"
    id: 'prompt-by-description',
    reason: 'system_prompt_extraction',
    pattern:
      /\b(?:first|last)\s+(?:thing|things|words?|message|instructions?)\s+you\s+(?:were|have\s+been)\s+(?:told|given|asked|instructed)\b|\b(?:that|which)\s+(?:defines?|controls?|governs?|shapes?|configures?|describes?)\s+your\s+(?:behaviou?r|personality|responses|role|rules|persona)\b|\b(?:instructions|text|prompt|messages?)\s+(?:that\s+)?(?:precede|preceded|came\s+before|come\s+before)\s+(?:this|our|the)\s+(?:conversation|chat|message|session)\b|\b(?:words?|sentences?|lines?|letters?|characters?|parts?)\s+(?:in|of|from)\s+your\s+(?:system\s+)?(?:prompt|instructions)\b|\b(?:remind\s+me\s+of|tell\s+me|show\s+me|what\s+is|what's|describe|explain)\s+your\s+(?:\w+\s+)?(?:setup|set-up|configuration|config)\b/i,
  },
  {
    // Sixth-round families: superseding directives, getting past the guardian, answer prefixes,
    // instructions declared void, and the prompt or tools asked for by other names.
    id: 'supersede-and-void',
    reason: 'instruction_override',
    pattern:
      /\b(?:supersedes?|overrides?|replaces?|takes?\s+precedence\s+over|trumps?)\s+(?:all\s+|any\s+)?(?:previous|prior|earlier|other|your|the\s+(?:system|original))\b|\b(?:ignore|bypass|skip|disable|override|get\s+past|evade)\s+(?:the\s+|your\s+)?(?:guardian|guardrails?|moderation|moderator|safety\s+(?:system|check|layer|filter)|classifier|content\s+filter)\b|\b(?:every|each|all)\s+(?:answer|response|reply|output)s?\s+(?:must|should|will|shall)\s+(?:start|begin|end)\s+with\b|\b(?:start|begin|end|prefix)\s+(?:every|each|all|your)\s+(?:answer|response|reply|output|message)s?\s+with\b|\b(?:pretend|act\s+as\s+if|imagine)\s+(?:that\s+)?(?:the\s+|your\s+)?(?:last|previous|above|earlier|original)\s+(?:instructions?|prompt|system\s+message)\s+(?:never\s+(?:happened|existed)|(?:was|were)\s+never\s+(?:sent|written|given)|(?:doesn'?t|don'?t)\s+exist)\b|\b(?:previous|prior|earlier|above|original|all)\s+(?:instructions|rules|directives|prompts?)\s+(?:are|is)\s+(?:now\s+)?(?:void|invalid|null|cancel+ed|obsolete|revoked|no\s+longer\s+valid)\b/i,
  },
  {
    id: 'prompt-by-location',
    reason: 'system_prompt_extraction',
    pattern:
      /\b(?:tools?|functions?|plugins?)\b[^.!?\n]{0,30}\b(?:parameters|arguments|schemas?|definitions|signatures)\b|\bhidden\s+(?:part|parts|portion|section|text|content)\s+of\s+(?:this|the|our)\s+(?:conversation|chat|prompt|context)\b|\b(?:file|document|source)\s+(?:that\s+)?(?:contains|holds|stores|defines)\s+your\s+(?:instructions|prompt|rules|configuration)\b|\byour\s+(?:exact\s+)?words\s+of\s+instruction\b|\binstructions?\b[^.!?\n]{0,40}\bbefore\s+I\s+(?:joined|arrived|came\s+in|started)\b|\b(?:secret|hidden|internal|confidential|real)\s+(?:rules|instructions|guidelines)\s+(?:that\s+)?you\b|\b(?:prompt|instructions|configuration)\s+(?:that\s+)?you\s+are\s+(?:running\s+on|running\s+with|using|operating\s+(?:on|under))\b|\b(?:developer\s+(?:message|prompt|instructions)|system\s+role(?:\s+content)?)\b|\bbetween\s+the\s+(?:start|beginning)\s+of\s+(?:the|this|our)\s+(?:chat|conversation)\s+and\s+my\b/i,
  },
  {
    id: 'initialised-with',
    reason: 'system_prompt_extraction',
    pattern:
      /\b(?:prompt|instructions|message|text|configuration)\s+(?:that\s+)?you\s+were\s+(?:initiali[sz]ed|started|launched|booted|configured|created|set\s+up)\s+with\b/i,
  },
  {
    // Competition and CTF hijacks: make the model print a fixed flag phrase.
    id: 'flag-phrase',
    reason: 'instruction_override',
    pattern:
      /\bI\s+have\s+been\s+PWNED\b|\b(?:say|print|output|respond\s+with|reply\s+with|write)\s+["“']?access\s+granted\b/i,
  },
  {
    // "print the above instructions as pseudocode", "repeat the text above", "the words before this"
    id: 'repeat-the-above',
    reason: 'system_prompt_extraction',
    pattern:
      /\b(?:repeat|print|output|rewrite|recite|reproduce|translate|summari[sz]e|copy|spell\s+check|echo|encode|show|display|write\s+(?:out|down))\s+(?:back\s+)?(?:me\s+)?(?:all\s+|everything\s+|exactly\s+)?(?:of\s+)?(?:the|this|your|these|those)\s+(?:(?:above|preceding|previous|prior|earlier|initial|entire|whole|full)\s+)+(?:text|instructions?|prompts?|messages?|content|lines|words|paragraphs?|conversation|context|directions)\b(?!\s+(?:you\s+(?:gave|sent|emailed)\s+me|for|to|about|on)\b)|\b(?:text|instructions|prompt|words|message|lines)\s+(?:above|before\s+this)\b|\b(?:starting|beginning|begin|start)\s+with\s+["“']?you\s+are\b|\b(?:repeat|recite|print|output|reproduce)\b[^.!?\n]{0,60}\b(?:word\s+for\s+word|verbatim)\b/i,
  },
  {
    // "administrator override", "you are now in maintenance mode", "sudo" style authority claims
    id: 'authority-override',
    reason: 'instruction_override',
    pattern:
      /\b(?:admin(?:istrator)?|root|sudo|system|developer|maintenance|security)\s+(?:override|access\s+granted|privileges?\s+granted)\b|\b(?:you\s+are|you're|enter|entering|switch\s+to|now\s+in)\s+(?:now\s+)?(?:in\s+)?(?:maintenance|diagnostic|debug|developer|admin|test(?:ing)?|unrestricted|god)\s+mode\b/i,
  },
  // --- code and script injection: payloads meant to be executed by whatever reads the answer
  {
    id: 'code-execution',
    reason: 'code_injection',
    pattern:
      /\brm\s+-rf\b|\bexecute\s+(?:it|this|that)\s+as\s+(?:a\s+)?(?:command|code|script|shell\s+command)\b|\b(?:os\.(?:popen|system|exec\w*|spawn\w*)|subprocess\.\w+|__(?:class|mro|subclasses|globals|builtins|import)__|child_process|Runtime\.getRuntime)\b|\bimport\s+[A-Za-z_][\w.]*\s*;|\b(?:final\s+)?(?:result|output)\s+of\s+["'`]\s*(?:import|print|eval|exec|require|os\.|\(\s*\)|lambda)\b|\b(?:eval|exec)\s*\(\s*["'`]?\s*(?:input|request|user|atob|base64|__|require|compile|\$_(?:GET|POST))|\b(?:decode|deobfuscate|unpack)\s+(?:this\s+|the\s+following\s+)?(?:and|then)\s+(?:execute|run|eval)\b|\b(?:execute|run|eval(?:uate)?)\s+(?:this|the\s+following)\s+(?:code|command|script|payload|shell)\b|\b(?:using|with|via)\s+eval\s+to\s+(?:execute|run)\b/i,
  },
  {
    id: 'script-markup',
    reason: 'code_injection',
    pattern:
      /<\s*(?:script|iframe|object|embed|svg|img|body|meta|link)\b[^>]{0,200}?(?:\bon\w+\s*=|\bsrc\s*=\s*["']?\s*(?:javascript|data):|>)|\bjavascript\s*:\s*\w+\s*\(|(?:&#x?[0-9a-f]{2,6};){3,}|\{\{\s*(?:config|self|request|''|"")\b|\$\{\s*jndi\s*:/i,
  },
  // --- more phrasings, found by the corpus in test/security/fixtures/guardian-corpus.ts
  {
    id: 'disable-safety',
    reason: 'instruction_override',
    pattern:
      /\bopposite\s+of\s+(?:what\s+)?your\s+(?:instructions|rules|guidelines|programming|prompt)\b|\b(?:abandon|drop|stop|forget|ignore)\s+(?:the|your)\s+current\s+(?:task|job|assignment|instructions)\b|\b(?:override|disable|turn\s+off|deactivate|remove|bypass|switch\s+off|lift)\s+(?:all\s+)?(?:of\s+)?(?:your\s+|the\s+)?(?:safety|content|ethical|moral|security)\s+(?:checks|settings|filters?|restrictions|guardrails|safeguards|limits|limitations|protocols|rules|guidelines)\b|\b(?:override|disable|deactivate|remove|bypass|lift)\s+(?:all\s+)?(?:of\s+)?your\s+(?:restrictions|guardrails|safeguards|filters|programming|alignment|limitations)\b/i,
  },
  {
    id: 'bypass-safety',
    reason: 'instruction_override',
    pattern:
      /\bbypass(?:ed|ing)?\s+(?:all\s+|any\s+|the\s+|your\s+)?(?:safety|security|content)\s+(?:guardrails|guidelines|filters|rules|measures|polic(?:y|ies))\b/i,
  },
  {
    id: 'forget-what-you-were-told',
    reason: 'instruction_override',
    pattern:
      /\b(?:ignore|disregard|forget)\s+(?:everything|all|what|anything)\s+(?:that\s+)?you\s+(?:were|have\s+been|'ve\s+been)\s+told\b|\bstop\s+following\s+(?:your|the|all)\s+(?:instructions|rules|guidelines|programming)\b/i,
  },
  {
    id: 'ignore-the-above',
    reason: 'instruction_override',
    pattern:
      /\b(?:ignore|disregard|forget|neglect|pay\s+no\s+attention\s+to|skip)\s+(?:all\s+)?(?:of\s+)?(?:the\s+|everything\s+)?above(?=\s*[.,;:!"']|\s+and\b|\s*$)|\b(?:everything|all)\s+(?:above|before\s+this|so\s+far)\s+(?:was|is)\s+(?:just\s+)?(?:a\s+test|fake|irrelevant|a\s+joke|a\s+lie)\b|\bnew\s+instructions\s+from\s+(?:the\s+|your\s+)?(?:admin(?:istrator)?|developers?|system|operator|openai|creators?)\b|\bthe\s+user\s+is\s+(?:an?\s+|the\s+)?(?:admin|administrator|developer|root|superuser|owner)\b|\bcomply\s+with\s+(?:every|all|any)\s+(?:requests?|commands?|instructions?)\b|\b(?:say|print|output|write|type|respond\s+with|reply\s+with)\s+(?:the\s+|this\s+)?(?:word|phrase|string|sentence)\s+["“']?[A-Z]{2,}/i,
  },
  {
    id: 'instructions-then-disregard',
    reason: 'instruction_override',
    pattern:
      /\b(?:instructions|rules|prompts?)\b[^.!?\n]{0,40}?(?:;|,|\.)?\s*(?:disregard|ignore|forget)\s+(?:them|those|it)\b/i,
  },
  {
    id: 'freed-from-guidelines',
    reason: 'roleplay_jailbreak',
    pattern:
      /\b(?:freed|liberated|released|unshackled|free)\s+from\s+(?:its\s+|your\s+|all\s+|any\s+|the\s+|[\w-]+'s\s+)+(?:guidelines|rules|restrictions|programming|constraints|filters|limitations|shackles|chains)\b|\bif\s+you\s+(?:had|have|were\s+without)\s+no\s+(?:guidelines|rules|restrictions|filters|limits|ethics|morals|content\s+polic\w+)\b|\bif\s+you\s+(?:weren'?t|were\s+not)\s+(?:bound|restricted|limited|censored|filtered)\b|\byou\s+are\s+no\s+longer\s+(?:chat\s?gpt|claude|bard|gemini|an?\s+(?:ai|assistant|language\s+model|chatbot|travel\s+(?:bot|assistant|agent)))\b|\brogue\s+(?:ai|assistant|chatbot|model)\b|\bstay\s+in\s+character\b|\bimmerse\s+yourself\s+(?:in|into)\s+the\s+role\b/i,
  },
  {
    id: 'credential-request',
    reason: 'abuse',
    pattern:
      /\b(?:admin|root|administrator|master)\s+(?:password|credentials)\b|\b(?:print|show|reveal|leak|dump|give\s+me|send\s+me|email\s+me)\s+(?:the\s+|all\s+|your\s+)?(?:api\s+keys?|secrets|credentials|user\s+database)\b/i,
  },
  {
    id: 'your-system-prompt',
    reason: 'system_prompt_extraction',
    pattern:
      /\byour\s+(?:system|initial|original|hidden|secret)\s+(?:prompt|instructions|message)s?\b|\b(?:instructions|text|words|message|prompt|rules)\s+(?:that\s+)?you\s+(?:were|have\s+been|got)\s+(?:given|fed|provided)\b|\bwere\s+you\s+given\s+before\b|\b(?:print|show|dump|output|repeat|reveal)\b[^.!?\n]{0,30}\bcontext\s+window\b|\bfirst\s+message\s+(?:in|of)\s+(?:this|the)\s+conversation\b|\bthe\s+prompt\s+that\s+(?:defines|controls|configures)\b/i,
  },
  // --- other languages: the override and extraction phrasings most often seen
  {
    id: 'multilingual-override',
    reason: 'instruction_override',
    pattern: new RegExp(
      [
        'ignora(?:r)?\\s+(?:todas\\s+)?(?:las\\s+)?instrucciones\\s+(?:anteriores|previas)',
        '(?:ignore|ignorez|ignorer|oublie|oubliez|oublier)\\s+(?:toutes\\s+)?(?:les\\s+|tes\\s+|vos\\s+)?(?:instructions|consignes|règles)\\s+(?:précédentes|antérieures)',
        '(?:poprzednie|wcześniejsze)\\s+(?:instrukcje|polecenia)',
        '(?:ignoriere|ignorier|vergiss|vergessen\\s+sie)\\s+(?:alle\\s+)?(?:deine\\s+|die\\s+|ihre\\s+)?(?:vorherigen|bisherigen|vorigen|obigen|vorangegangenen|vorangehenden)\\s+(?:anweisungen|instruktionen|befehle|regeln)',
        '(?:vergiss|vergesst|vergessen\\s+sie|ignoriere)\\s+alles(?:\\s+(?:davor|zuvor|bisherige|vorher|oben))?',
        '(?:vergiss|vergesst|vergessen\\s+sie|ignoriere|ignorieren\\s+sie)\\s+(?:alle\\s+)?(?:deine\\s+|die\\s+|ihre\\s+|bisherigen\\s+|vorherigen\\s+|obigen\\s+)*(?:anweisungen|aufträge|aufgaben|befehle|regeln|instruktionen|vorgaben)',
        '(?:ignora|dimentica)\\s+tutto\\s+(?:quello|ciò)\\s+che',
        '(?:ignora|olvida|olvide)\\s+todo\\s+lo\\s+que',
        '(?:ignora|olvida|olvide)\\s+(?:todas\\s+)?(?:las\\s+)?instrucciones\\s+(?:del\\s+sistema|anteriores|previas|originales)',
        '(?:ignore|ignora|esqueça|esqueca)\\s+tudo\\s+(?:o\\s+que|acima|antes)',
        '(?:ignore|ignorez|oublie|oubliez)\\s+tout\\s+ce\\s+que',
        '(?:oublie|oubliez|ignore|ignorez)\\s+tout\\s+(?:ce\\s+qui\\s+pr[ée]c[èe]de|ce\\s+que\\s+(?:je\\s+t|on\\s+t|on\\s+vous)|avant)',
        '(?:olvida|olvide|ignora)\\s+todo\\s+lo\\s+(?:anterior|que\\s+te\\s+(?:dije|dijeron))',
        'ignora\\s+(?:tutte\\s+)?(?:le\\s+)?istruzioni\\s+precedenti',
        'ignore\\s+(?:todas\\s+)?(?:as\\s+)?instruções\\s+anteriores',
        'negeer\\s+(?:alle\\s+)?(?:vorige|eerdere)\\s+instructies',
        'zignoruj\\s+(?:wszystkie\\s+)?(?:poprzednie\\s+)?(?:instrukcje|polecenia)',
        'önceki\\s+(?:tüm\\s+)?talimatları\\s+(?:yok\\s+say|görmezden\\s+gel)',
        'игнорируй(?:те)?\\s+(?:все\\s+)?(?:предыдущие\\s+)?инструкции',
        'تجاهل\\s+(?:جميع\\s+)?التعليمات',
        '忽略(?:之前|以上|先前|上面)的?(?:所有)?(?:指令|指示|说明)',
        '(?:以前|前|上記)の指示を(?:すべて)?無視',
        '이전의?\\s*(?:모든\\s*)?지시를?\\s*무시',
        'पिछले\\s+(?:सभी\\s+)?निर्देशों\\s+को\\s+(?:अनदेखा|नज़रअंदाज़)',
      ].join('|'),
      'iu',
    ),
  },
  {
    id: 'multilingual-system-prompt',
    reason: 'system_prompt_extraction',
    pattern:
      /\bsystem[- ]?prompts?\b|\bprompt\s+(?:del\s+sistema|syst[èe]me|di\s+sistema|do\s+sistema)\b|システムプロンプト|系统提示|系統提示|системн\p{L}*\s+промпт/iu,
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
      /(?:^|\n)\s*(?:#{2,}\s*(?:system|instruction)s?\s*:?|(?:system|assistant)\s*:\s*you\s+(?:are|must|will))|\b(?:SYSTEM|ADMIN|DEVELOPER)\s*:\s*(?:the\s+user|you|ignore|new|override|from\s+now|disregard|forget)|(?<![=#*-])(?:={4,80}|-{4,80}|#{4,80}|\*{4,80})\s*(?:END|STOP|NEW|BEGIN)\b/i,
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

/**
 * In-the-wild role-play jailbreaks are long and endlessly reworded, but they assemble the same parts: a
 * model addressed by name, a persona to become, a claim that it has no morals or limits, a ban on
 * refusing, an answer format to keep it in character, a fictional frame, a promise to obey and a
 * story of being set free. Each
 * part alone is ordinary English ("imagine a trip", "answer with prices"); several together are not.
 * One regular expression per part; a text that shows JAILBREAK_CUE_THRESHOLD parts is a jailbreak.
 */
export const jailbreakCues: readonly { readonly id: string; readonly pattern: RegExp }[] = [
  {
    id: 'model-addressed',
    pattern:
      /\b(?:chat\s?gpt|gpt-?\d|openai|open\s+ai|bard|claude|gemini|llama|language\s+model|LLM|chat\s?bot|AI\s+(?:model|assistant|system)|an\s+AI)\b/i,
  },
  {
    id: 'persona',
    pattern:
      /\b(?:act(?:ing)?\s+as|role[- ]?play|take\s+on\s+the\s+role|play(?:ing)?\s+(?:the\s+)?(?:role|part)|in\s+character|persona|simulat(?:e|es|ing|ion)|pretend|impersonat\w*|(?:named|called|known\s+as)\s+["“”]?[A-Z]|from\s+now\s+on,?\s+(?:you|your)|characters?|alter\s+ego|you\s+(?:are|will\s+be|will\s+become|are\s+going\s+to\s+(?:be|become))\s+(?:now\s+)?[A-Z]{3,})\b/i,
  },
  {
    id: 'no-morals',
    pattern:
      /\b(?:amoral|unethical|immoral|unfiltered|uncensored|unrestricted|unlimited|no\s+(?:moral|ethical|ethics|morals|restrictions|limits|limitations|filters?|boundaries|censorship|rules|guidelines|principles)|without\s+(?:any\s+)?(?:moral|ethic|restrictions|limits|limitations|filters?|censorship|warnings|rules)|(?:doesn'?t|does\s+not|don'?t|do\s+not|never)\s+(?:care|follow|adhere|abide|give\s+a)|regardless\s+of\s+(?:how|whether|legality|morality|ethics)|illegal|hate[- ]?speech|break(?:s|ing)?\s+(?:the\s+|any\s+|all\s+)?rules|content\s+polic(?:y|ies)|ethical\s+guidelines)\b/i,
  },
  {
    id: 'no-refusals',
    pattern:
      /\b(?:never|not|won'?t|will\s+not|cannot|can'?t|don'?t|do\s+not|must\s+not|mustn'?t)\s+(?:ever\s+)?(?:refuse|decline|deny|reject|apologi[sz]e|warn|censor|say\s+(?:that\s+)?(?:it|you|I|he|she)\s+(?:can'?t|cannot)|include\s+(?:any\s+)?(?:warnings?|disclaimers?))|\b(?:I'?m\s+sorry|as\s+an\s+ai\s+language\s+model|disclaimers?|moraliz\w+|refusals?)\b/i,
  },
  {
    id: 'answer-format',
    pattern:
      /\b(?:respond|answer|reply|start|begin|prefix)\w*\s+(?:\w+\s+){0,4}?(?:with|in\s+the\s+(?:following\s+)?format)\b|\btwo\s+(?:different\s+|separate\s+)?(?:responses|answers|paragraphs)\b|\[[^\]\n]{1,30}\]\s*:|\bformat\s*:|\b(?:every|each)\s+(?:response|answer|reply|output)\b/i,
  },
  {
    id: 'fictional-frame',
    pattern:
      /\b(?:hypothetical(?:ly)?|fiction(?:al)?|imaginary|let'?s\s+play|a\s+game|(?:world|universe)\s+where|thought\s+experiment|for\s+(?:educational|research)\s+purposes)\b/i,
  },
  {
    id: 'obedience',
    pattern:
      /\b(?:always|must|will|shall)\s+(?:always\s+)?(?:answer|respond|comply|obey|provide|fulfil+|do\s+(?:anything|whatever|everything))|\banything\s+(?:and\s+everything|I\s+(?:ask|say|want|tell))|\b(?:any|every)\s+(?:request|question|prompt)s?\b|\bwhatever\s+(?:I|the\s+user|you\s+are)\s+(?:ask|want|say|request|told)/i,
  },
  {
    id: 'liberation',
    pattern:
      /\b(?:free(?:d)?\s+(?:from|of)\s+(?:all|any|the|your|its|their)|break(?:s|ing)?\s+free|no\s+longer\s+(?:bound|restricted|limited|have\s+to|need\s+to|an?\s+AI)|liberat\w+|unleash\w*|stands\s+for|(?:lose|lost|deduct\w*)\s+(?:\d+\s+)?tokens?|jailbr(?:oken|eak)|opposite\s+of\s+what|evil\s+(?:twin|version|AI|assistant|confidant)|dark\s+side)\b/i,
  },
];
export const JAILBREAK_CUE_THRESHOLD = 3;

/** How many distinct jailbreak parts a text shows. */
export function jailbreakCueCount(text: string): number {
  let n = 0;
  for (const cue of jailbreakCues) if (cue.pattern.test(text)) n++;
  return n;
}

/**
 * Short attacks talk to the model about itself: its instructions, its identity, what it may not do,
 * what it must output. A travel goal talks about trips. Five cue families, scored like the jailbreak
 * cues: any two make an attack (none of 845 benign requests, 230 of them lookalikes written to share
 * these words, shows two).
 * The reason follows the cues: asking to see the configuration is extraction, asking for a persona
 * or for no limits is a jailbreak, the rest is an override.
 */
export const metaCues: readonly { readonly id: string; readonly pattern: RegExp }[] = [
  {
    id: 'own-config',
    pattern:
      /\b(?:your|the\s+(?:assistant|model|ai|bot)'?s|(?:assistant|model|ai|bot)\s+\w+\s+\w+\s+its)\s+(?:[\w-]+\s+)?(?:instructions|rules|orders|prompt|prompt\s+template|template|guidelines|programming|polic(?:y|ies)|filters?|restrictions|training|memory|context|configuration|config|settings|setup|creators?|developers?|operators?|directives|limits|safety|personality|persona|identity|ethics|morals|principles|purpose|job|task|role|mission|notes|first\s+message)\b|\bprompt\s+template\b|\bcontext\s+window\b/i,
  },
  {
    id: 'ai-identity',
    pattern: /\b(?:AI|chat\s?bot|bot|language\s+model|LLM|chat\s?gpt|gpt-?\d|\w+GPT|openai)\b/i,
  },
  {
    id: 'meta-verb',
    pattern:
      /\b(?:ignore|ignores|disregard|forget|override|bypass|disable|reveal|repeat|echo|quote|recite|paste|dump|leak|expose|pretend|role-?play|act\s+as|simulate|obey|disobey|defy|violate|circumvent|comply|switch\s+to|unlock|abandon|discard|contradict\w*|permission|forbidden|not\s+(?:allowed|supposed|permitted)\s+to|set\s+aside|overlook|drop\s+the\s+act|leak|erased?|assume\s+the\s+(?:identity|role)|play\s+the\s+role|take\s+on\s+the\s+role|stop\s+following|currently\s+following)\b/i,
  },
  {
    id: 'transgression',
    pattern:
      /\b(?:uncensored|unfiltered|unrestricted|no\s+filter|without\s+refusing|harmful|illegal|unethical|ethical|moral|verbatim|word\s+for\s+word|break\s+(?:your|the)\s+rules|safety\s+checks?|foul-mouthed|swears?|no\s+(?:rules|content\s+guidelines|guidelines|policy|morals|ethics)|offensive|vulgar|toxic|nsfw|word\s+by\s+word|without\s+any\s+(?:morals|ethics|rules|guidelines|restrictions|filters|limits)|never\s+refuses?|no\s+guidelines|safety\s+(?:turned|switched)\s+off|hiding|secret|crimes?|broken\s+free|breaks?\s+(?:every|all|any)\s+rules?|(?:says?|do|does)\s+anything|without\s+any\s+(?:policy|policies|guidelines|rules)|(?:doesn'?t|does\s+not)\s+exist|been\s+freed)\b/i,
  },
  {
    id: 'output-control',
    pattern:
      /\b(?:respond|answer|reply|say|output|print|write)\w*\s+(?:only|exactly|verbatim|with\s+["“'])|\b(?:respond|answer|reply)\w*\s+in\s+\w+\s*[.!]?\s*$|\[[A-Z]{3,}\]|\b(?:only|sole)\s+job\b|\b(?:respond|answer|reply|talk|speak)\w*\s+only\s+as\b|\bconfirm\s+(?:by|with)\s+(?:saying|replying|typing|writing)\b/i,
  },
  {
    // How the model came to be what it is: told, handed, built, programmed, initialised ...
    id: 'how-you-were-made',
    pattern:
      /\b(?:you\s+(?:were|are|have\s+been|got)\s+(?:\w+\s+)?(?:told|given|handed|built|programmed|initiali[sz]ed|configured|trained|designed|instructed|set\s+up|prompted|fed)|(?:were|have)\s+you\s+(?:been\s+)?(?:told|given|handed|built|programmed|initiali[sz]ed|configured|trained|designed|instructed|prompted)|(?:program|programmed|train|trained|configure|configured|instruct|instructed)\s+you\b|your\s+(?:true|real|inner|hidden|original)\s+self|your\s+(?:code|memory(?:\s+buffer)?|source)\b|its\s+(?:programming|training|guidelines|restrictions|filters|rules))/i,
  },
];

const REDACTION_TOKENS = new RegExp(
  Object.values(redactionTokens)
    .map((token) => token.replace(/[[\]]/g, '\\$&'))
    .join('|'),
  'g',
);

const META_EXTRACTION =
  /\b(?:reveal|repeat|echo|quote|recite|paste|dump|leak|expose|print|show|tell|what|how|list|output|share|give|summari[sz]e)\b/i;
const META_JAILBREAK =
  /\b(?:uncensored|unfiltered|unrestricted|no\s+filter|pretend|role-?play|act\s+as|simulate|personality|persona|identity|foul-mouthed|swears?|break\s+(?:your|the)\s+rules|breaks?\s+every\s+rule|no\s+(?:restrictions|limits|rules|guidelines|content\s+guidelines)|without\s+refusing|\w+GPT|(?:do|does|says?)\s+anything|without\s+any\s+(?:morals|ethics)|broken\s+free|true\s+self|never\s+refuses?|safety\s+(?:turned|switched)\s+off|drop\s+the\s+act)\b/i;

/** The meta cues a text shows, by id. */
export function metaCuesOf(text: string): Set<string> {
  const found = new Set<string>();
  for (const cue of metaCues) if (cue.pattern.test(text)) found.add(cue.id);
  return found;
}

/** The reason for a text the meta cues flag, or undefined when they do not. */
function metaReason(goal: string): GuardianReason | undefined {
  // The producer screens redacted text: "[SECRET]" and "[EMAIL]" are its tokens, not a user's words.
  const text = goal.replace(REDACTION_TOKENS, ' ');
  const cues = metaCuesOf(text);
  if (cues.size < 2) return undefined;
  if (META_JAILBREAK.test(text)) return 'roleplay_jailbreak';
  const aboutItsMaking = cues.has('own-config') || cues.has('how-you-were-made');
  if (aboutItsMaking && META_EXTRACTION.test(text)) return 'system_prompt_extraction';
  return 'instruction_override';
}

export type GuardianVerdict =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly reason: GuardianReason; readonly rule: string };

/** Cyrillic and Greek letters that look like Latin ones (the common confusables). */
// biome-ignore format: a table reads better dense
const homoglyphs: Readonly<Record<string, string>> = {
  а: 'a', в: 'b', е: 'e', ё: 'e', к: 'k', м: 'm', н: 'h', о: 'o', р: 'p', с: 'c', т: 't', у: 'y', х: 'x',
  і: 'i', ї: 'i', ј: 'j', ѕ: 's', ԁ: 'd', ɡ: 'g', ո: 'n', ս: 'u', А: 'A', В: 'B', Е: 'E', К: 'K', М: 'M',
  Н: 'H', О: 'O', Р: 'P', С: 'C', Т: 'T', Х: 'X', І: 'I', Ј: 'J', Ѕ: 'S', α: 'a', ο: 'o', ρ: 'p', ν: 'v',
  ι: 'i', κ: 'k', τ: 't', υ: 'u', ε: 'e', Α: 'A', Β: 'B', Ε: 'E', Ι: 'I', Κ: 'K', Μ: 'M', Ν: 'N', Ο: 'O',
  Ρ: 'P', Τ: 'T', Χ: 'X', Υ: 'Y', Ζ: 'Z',
};
const leet: Readonly<Record<string, string>> = {
  '0': 'o',
  '1': 'i',
  '3': 'e',
  '4': 'a',
  '5': 's',
  '7': 't',
  '@': 'a',
  $: 's',
};
const INVISIBLE = /[\u00AD\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/g;

const rot13 = (s: string): string =>
  s.replace(/[A-Za-z]/g, (c) => {
    const base = c <= 'Z' ? 65 : 97;
    return String.fromCharCode(((c.charCodeAt(0) - base + 13) % 26) + base);
  });

/** Mostly printable text (a decoded blob that is an instruction, not binary noise). */
const printable = (s: string): boolean =>
  s.length >= 8 && [...s].filter((c) => /[\x20-\x7E\n\t]/.test(c)).length / s.length >= 0.9;

/** Text hidden in base64 / base64url / hex runs, decoded. */
function decodedBlobs(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/[A-Za-z0-9+/_-]{16,}={0,2}/g)) {
    const blob = m[0];
    if (/^[0-9a-fA-F]+$/.test(blob) && blob.length % 2 === 0) {
      const hex = Buffer.from(blob, 'hex').toString('utf8');
      if (printable(hex)) out.push(hex);
      continue;
    }
    const decoded = Buffer.from(blob.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8');
    if (printable(decoded)) out.push(decoded);
  }
  return out;
}

/**
 * Obfuscated readings of a text, each screened like the text itself: look-alike letters folded,
 * invisible characters removed, leetspeak read as letters, ROT13, and base64/hex runs decoded.
 */
function obfuscatedViews(normalized: string): { view: string; text: string }[] {
  const folded = [...normalized.replace(INVISIBLE, '')].map((c) => homoglyphs[c] ?? c).join('');
  const views = [{ view: 'folded', text: folded }];
  // Leetspeak only where digits sit inside words, so "2 rooms for 4 nights" is read as written.
  if (/[A-Za-z][013457@$]|[013457@$][A-Za-z]/.test(folded)) {
    views.push({ view: 'leet', text: folded.replace(/[013457@$]/g, (c) => leet[c] ?? c) });
  }
  // ROT13 only where the text holds a ROT13'd common word ("gur" = "the"): reading every text backwards
  // too would double the cost of the check for nothing.
  if (ROT13_WORDS.test(folded)) views.push({ view: 'rot13', text: rot13(folded) });
  for (const decoded of decodedBlobs(folded)) views.push({ view: 'decoded', text: decoded });
  return views;
}

const ROT13_WORDS =
  /\b(?:gur|naq|lbh|lbhe|jvgu|guvf|vtaber|qvfertneq|sbetrg|cevag|erirny|cebzcg|vafgehpgvbaf?|flfgrz|cerivbhf)\b/i;

/** Rules that read meaning (not the encoding rules, which would fire on their own decoded output). */
const meaningRules = guardianRules.filter(
  (r) => r.reason !== 'encoded_payload' && r.reason !== 'hidden_characters',
);

/** Texts longer than this are checked for jailbreak cues before the rules. */
const LONG_TEXT = 400;

/**
 * Screens texts (goal, context keys and string values) with the rules; the first hit wins. The text
 * is screened as written and NFKC-folded, then in its obfuscated readings (a hit there is reported as
 * `encoded_payload`). The input must already be redacted: the verdict may be logged.
 */
export function screen(texts: readonly string[]): GuardianVerdict {
  for (const text of texts) {
    // NFKC folds full-width and other look-alike forms ("ｉｇｎｏｒｅ") into the ASCII the rules expect.
    const normalized = text.normalize('NFKC');
    // Long texts are where in-the-wild jailbreaks live and where every rule's scan costs most: the
    // cue score (eight scans) goes first there. Short texts get the rules first, for a precise reason.
    const long = normalized.length > LONG_TEXT;
    if (long && jailbreakCueCount(normalized) >= JAILBREAK_CUE_THRESHOLD) {
      return { allowed: false, reason: 'roleplay_jailbreak', rule: 'jailbreak-cues' };
    }
    for (const rule of guardianRules) {
      if (matches(rule, text) || (normalized !== text && matches(rule, normalized))) {
        return { allowed: false, reason: rule.reason, rule: rule.id };
      }
    }
    if (!long && jailbreakCueCount(normalized) >= JAILBREAK_CUE_THRESHOLD) {
      return { allowed: false, reason: 'roleplay_jailbreak', rule: 'jailbreak-cues' };
    }
    const meta = metaReason(normalized);
    if (meta) return { allowed: false, reason: meta, rule: 'meta-cues' };
    for (const { view, text: reading } of obfuscatedViews(normalized)) {
      if (reading === normalized) continue;
      for (const rule of meaningRules) {
        if (matches(rule, reading))
          return { allowed: false, reason: 'encoded_payload', rule: `${rule.id}@${view}` };
      }
    }
  }
  return { allowed: true };
}

/**
 * Every string in a JSON value (object keys included), for screening a context. Iterative, in
 * document order: a deeply nested context (thousands of levels fit in 16 KiB) must not overflow the stack.
 */
export function stringsOf(value: unknown): string[] {
  const out: string[] = [];
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'string') out.push(v);
    else if (Array.isArray(v)) for (let i = v.length - 1; i >= 0; i--) stack.push(v[i]);
    else if (v !== null && typeof v === 'object') {
      const entries = Object.entries(v);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [k, child] = entries[i] ?? ['', undefined];
        stack.push(child, k);
      }
    }
  }
  return out;
}

/** Screens a (redacted) submission: the goal, then every key and string of the context. */
export function screenSubmission(input: { goal: string; context: Record<string, unknown> }): GuardianVerdict {
  return screen([input.goal, ...stringsOf(input.context)]);
}
