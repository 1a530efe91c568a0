import type { GuardianCategory, GuardianVerdict } from './llm/provider.ts';

/*
 * The offline guardian: rule-based screening of a goal for what an agent must not help with. It is
 * the stand-in for a model's judgement (and is labelled so), deliberately conservative: clear
 * phrasings only, so ordinary travel goals ("kill time in Rome") pass.
 */

interface Rule {
  readonly category: GuardianCategory;
  readonly pattern: RegExp;
  readonly reason: string;
}

const rules: readonly Rule[] = [
  {
    category: 'self_harm',
    pattern:
      /\b(?:kill|hurt|harm|cut)\s+myself\b|\bsuicid\w*|\bend (?:my|his|her) (?:own )?life\b|\bself[- ]harm/i,
    reason: 'The goal mentions self-harm. If you are struggling, please reach out to a local crisis line.',
  },
  {
    category: 'weapons',
    pattern:
      /\b(?:build|make|assemble|3d[- ]?print|buy|acquire|smuggle)\b.{0,40}\b(?:bombs?|explosives?|pipe ?bombs?|grenades?|guns?|firearms?|rifles?|silencers?|ghost guns?|nerve agents?|bio ?weapons?|chemical weapons?)\b|\b(?:pipe ?bomb|nerve agent|bioweapon|chemical weapon|dirty bomb)\b/i,
    reason: 'The goal asks for help with weapons or explosives.',
  },
  {
    category: 'violence',
    pattern:
      /\b(?:kill|murder|assassinate|kidnap|torture|stab|shoot|poison|beat up)\s+(?:a |an |the |my |his |her |their |some )?(?:someone|somebody|people|person|him|her|them|neighbou?r|boss|wife|husband|partner|colleague|man|woman|child|kid|president|[a-z]+ (?:named|called))\b|\bhit ?man\b|\bhire (?:a|an) (?:assassin|killer)\b/i,
    reason: 'The goal asks for help harming people.',
  },
  {
    category: 'malware',
    pattern:
      /\b(?:ransomware|malware|keylogger|botnet|rootkit|trojan|spyware|ddos|zero[- ]day exploit)\b|\bhack(?:ing)? into\b|\bsteal (?:passwords|credentials|cookies)\b/i,
    reason: 'The goal asks for help with malicious software or intrusion.',
  },
  {
    category: 'fraud',
    pattern:
      /\b(?:fake|forged?|counterfeit)\s+(?:ids?|passports?|documents?|invoices?|reviews?|diplomas?|money|bills)\b|\b(?:stolen (?:credit )?cards?|credit card fraud|identity theft|phishing|carding|ponzi)\b|\bscam (?:people|someone|elderly)\b/i,
    reason: 'The goal asks for help with fraud or deception.',
  },
  {
    category: 'illegal_activity',
    pattern:
      /\b(?:launder(?:ing)? money|money laundering|human trafficking|traffic(?:king)? drugs|smuggl\w+|buy (?:cocaine|heroin|meth|fentanyl|drugs)|sell (?:cocaine|heroin|meth|fentanyl|drugs)|evade (?:customs|the police)|break into (?:a |an |the |my )?(?:house|home|car|building))\b/i,
    reason: 'The goal asks for help with an illegal activity.',
  },
];

/** Screens a (redacted) goal; deterministic. */
export function screenGoalOffline(goal: string): GuardianVerdict {
  const text = goal.normalize('NFKC');
  for (const rule of rules) {
    if (rule.pattern.test(text)) return { allowed: false, category: rule.category, reason: rule.reason };
  }
  return { allowed: true };
}
