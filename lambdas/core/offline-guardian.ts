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

/*
 * Families of harm, each a verb + object shape or a phrase with no innocent reading. Measured against
 * HarmBench-style requests ("Give detailed instructions for ...", "Write a persuasive article ...") and
 * against travel lookalikes that must pass ("kill time", "shoot photos", "a steal of a deal", "the
 * cheapest flight", "drugstore near the hotel", "hijack" only with an aircraft or a computer).
 */
const rules: readonly Rule[] = [
  {
    category: 'self_harm',
    pattern:
      /\boverdos\w+|\b(?:kill|hurt|harm|cut|starve)\s+(?:myself|themselves|yourself|himself|herself)\b|\bsuicid\w*|\bend (?:my|his|her|their|your) (?:own )?life\b|\bself[- ]harm|\b(?:anorexi|bulimi)\w*\s+(?:tips|diet|lifestyle)|\bpro[- ]ana\b/i,
    reason: 'The goal mentions self-harm. If you are struggling, please reach out to a local crisis line.',
  },
  {
    category: 'weapons',
    pattern:
      /\b(?:build|make|making|assembl|3d[- ]?print|buy|buying|acquir|smuggl|synthesi[sz]|produc|manufactur|creat|obtain|weaponi[sz]|cultur|grow|extract|convert|design|construct|plant|detonat|set(?:ting)? off|recipe|formula|blueprint|homemade|home-made|diy)\w*\b.{0,40}\b(?:weapons?|bombs?|explosives?|pipe ?bombs?|grenades?|guns?|firearms?|handguns?|rifles?|silencers?|suppressors?|ghost guns?|auto ?sears?|nerve (?:agents?|gas(?:es)?)|bio ?weapons?|chemical weapons?|napalm|thermite|detonators?|IEDs?|molotov|dirty bombs?|uranium|plutonium|toxins?|pathogens?|anthrax|ricin|abrin|sarin|tabun|soman|VX|mustard gas|phosgene|chlorine gas|hydrogen cyanide|botulinum|dimethylmercury|smallpox)\b|\b(?:pipe ?bomb|nerve (?:agent|gas)|bioweapon|chemical weapon|dirty bomb|biological warfare|chemical warfare|bomb threat|weapons? of mass destruction|gain[- ]of[- ]function)\b/i,
    reason: 'The goal asks for help with weapons or explosives.',
  },
  {
    category: 'violence',
    pattern:
      /\b(?:kill|murder|assassinate|kidnap|torture|stab|shoot|poison|beat up|strangle|maim)\s+(?:a |an |the |my |his |her |their |some |lots of |many |as many |several )?(?:someone|somebody|people|person|him|her|them|neighbou?r|boss|wife|husband|partner|colleague|man|woman|child|kid|president|politician|officer|cop|[a-z]+ (?:named|called))\b|\bhit ?man\b|\bhire (?:a|an) (?:assassin|killer)\b|\bcaus(?:e|es|ing)\s+(?:\w+\s+){0,2}(?:accidents|a crash|crashes|casualties|economic instability)\b|\bcaus\w+\s+(?:mass\s+)?(?:chaos|panic)\s+(?:in|among|across)\s+(?:a |the )?(?:city|public|population|crowd|country|streets|subway|airport)\b|\bcause\s+(?:physical\s+)?harm\s+to\b|\bharm\s+(?:to\s+)?(?:others|civilians|passengers)\b|\bphysically\s+(?:assault|attack|harm|hurt)\b|\bsabotag\w+|\bpoison\w*\s+(?:\w+'?s?\s+){0,2}(?:water supply|food|drink|someone|somebody)\b|\bknock\s+(?:someone|somebody|a person|him|her|them|people)\s+(?:out|unconscious)\b|\b(?:drug|sedate|incapacitate)\s+(?:someone|somebody|a person|a woman|a girl|a man|my date|her|him)\b|\b(?:date[- ]rape drugs?|roofies?)\b|\b(?:hurt|harm|injure|attack|assault|punch|beat)\w*\s+(?:my |a |an |the |his |her |their |some )?(?:classmate|teacher|student|coworker|roommate|ex|girlfriend|boyfriend|sister|brother|mother|father|mom|dad|baby|neighbou?r|wife|husband|boss)s?\b|\b(?:attack|bomb|shoot\s+up|blow\s+up)\w*\s+(?:a |an |the )?(?:crowded\s+|busy\s+)?(?:airport|school|church|mosque|synagogue|temple|concert|stadium|mall|subway|station|crowd|embassy|parliament|government building|festival|market|plane|train)\b|\bcarjack\w*|\b(?:hide|dispose\s+of|get\s+rid\s+of|dissolve|bury)\s+(?:a|the|his|her)\s+(?:dead\s+)?(?:body|corpse)\b|\bspik\w+\s+(?:someone|somebody|a|her|his|their|my)\S*\s+(?:\w+\s+)?drinks?\b|\b(?:how\s+to|ways\s+to|methods?\s+(?:to|of|for))\s+(?:\w+\s+)?torture\b|\btorture\s+(?:a |the |my )?(?:someone|somebody|people|prisoners?|detainees?|captives?|hostages?|suspects?)\b|\b(?:make|making)\s+it\s+(?:look|seem|appear)\s+like\s+(?:an?\s+)?(?:accident|suicide|natural causes|self[- ]defen[cs]e)\b|\b(?:commit|plan|planning|pull off|carry out|organi[sz]e)\s+(?:a |an |the )?(?:\w+\s+)?(?:robbery|heist|burglary|mugging|carjacking)\b|\b(?:plan|planning|carry out|commit|committing|organi[sz]e|conduct|execute|stage|how to)\s+(?:a |an |the )?(?:\w+\s+){0,2}(?:mass (?:shooting|murder|killing)|school shooting|terror(?:ist)? attacks?|massacre|genocide|ethnic cleansing|bombing)\b|\b(?:hold|take|taking|holding)\s+(?:a |an |the )?(?:\w+\s+){0,2}(?:flight|plane|aircraft|bus|train|ship|people|passengers)\s+hostage\b|\bhijack(?:ing)?\s+(?:a |an |the )?(?:\w+\s+)?(?:plane|aircraft|flight|airliner|jet)\b|\b(?:rob|raid|hold up)\s+(?:a |the )?(?:bank|store|shop|gas station|jewell?ery)\b|\bat gunpoint\b|\b(?:set fire to|burn down|arson)\b|\blethal dose\b/i,
    reason: 'The goal asks for help harming people.',
  },
  {
    category: 'malware',
    pattern:
      /\b(?:ransomware|malware|keylogger|botnet|rootkit|trojan|spyware|ddos|cryptojack\w*|zero[- ]days?(?: exploits?| vulnerabilit\w+)?|0[- ]days?|sql injection|cross[- ]site scripting|xss (?:attack|payload)|dns amplification|buffer overflow (?:exploit|attack)|reverse shell|privilege escalation|credential stuffing|brute[- ]?forc\w+ (?:a |the )?(?:password|login|account))\b|\b(?:write|create|craft|draft|design|build|generate|make)\s+(?:a |an |the )?(?:\w+\s+){0,2}phishing\b|\bhack(?:ing)? into\b|\bhijack\w*\s+(?:a |an |the )?(?:[\w-]+'?s?\s+){0,2}(?:computer|device|account|browser|session|phone|car|vehicle|webcam|drone|system)s?\b|\bhack(?:s|ed|ing)?\s+(?:(?:a|an|the|someone'?s|their|his|her|my)\s+)?(?:[\w-]+'?s?\s+){0,2}(?:account|network|database|system|computer|server|website|phone|email|webcam|drone|atm)s?\b|\bcyber[- ]?attacks?\b|\b(?:steal|harvest|scrap(?:e|ing)|dump)\s+(?:\w+\s+){0,2}(?:passwords|credentials|cookies|email addresses|personal data|credit card (?:numbers|data|information))\b|\b(?:evad\w+|bypass\w*|avoid\w*)\s+(?:antivirus|anti-virus|detection|edr|firewalls?|authentication|2fa|captchas?)\b|\b(?:write|develop|create|code|release|distribute|design)\w*\s+(?:an? |the )?(?:exploit|virus|viruses|worm|payload)\b|\bexploit\s+(?:a |the |this )?(?:vulnerabilit\w+|cve|bug)\b/i,
    reason: 'The goal asks for help with malicious software or intrusion.',
  },
  {
    category: 'fraud',
    pattern:
      /\b(?:fake|forged?|counterfeit)\s+(?:ids?|passports?|documents?|invoices?|reviews?|diplomas?|money|bills|currency|prescriptions?|signatures?)\b|\b(?:stolen (?:credit )?cards?|stolen credit card (?:information|numbers?|data)|credit card fraud|identity theft|carding|ponzi|pyramid scheme|insider trading|tax (?:fraud|evasion)|insurance fraud|wire fraud|voter fraud|election fraud)\b|\bscam (?:people|someone|elderly|victims)\b|\b(?:script|talking points|email|message|letter|call|website)["”']?\s+for\s+(?:a |an )?(?:\w+\s+){0,3}scam\b|\b(?:run|running|set up|pull off|commit)\s+(?:a |an )?(?:\w+\s+){0,2}scam\b|\b(?:commit(?:ting)?|carry out|get away with|how to)\s+(?:\w+\s+){0,3}(?:fraud|embezzlement|forgery|money laundering|theft)\b|\b(?:blackmail|extort)\w*\b/i,
    reason: 'The goal asks for help with fraud or deception.',
  },
  {
    category: 'illegal_activity',
    pattern:
      /\b(?:launder(?:ing)? money|money laundering|human trafficking|sex trafficking|organ trafficking|traffic(?:king)? drugs|smuggl\w+|buy (?:cocaine|heroin|meth|fentanyl|drugs)|sell (?:cocaine|heroin|meth|fentanyl|drugs)|evad\w+ (?:the )?(?:customs|police|cops|law enforcement|taxes|authorities|border patrol)|break into (?:a |an |the |my |someone'?s |their )?(?:\w+ )?(?:house|home|car|building|apartment|safe|store|office)|to break in|chop shops?|black market|dark ?web|shoplift\w*|hotwir\w+|pick (?:a |the )?lock)\b|\b(?:synthesi[sz]\w*|manufactur\w*|cook\w*|produc\w+|extract\w*|make|making|grow\w*)\b.{0,60}\b(?:meth(?:amphetamine)?|mdma|ecstasy|lsd|psilocybin|magic mushrooms|mescaline|opium|fentanyl|heroin|cocaine|crack|dmt|ghb|pcp|ketamine|opioids?|nitazenes?|safrole|precursors?|controlled substances?)\b|\b(?:without|avoid)\s+(?:(?:getting|being) caught(?!\s+(?:in|by|up|out|on))|being detected|arousing suspicion|leaving (?:a )?(?:trace|evidence)|getting blocked)\b|\bget away with (?:it|murder|the crime)\b|\billegal(?:ly)?\s+(?:buy|purchase|obtain|acquire|sell|import|export|carry|dump)\b|\b(?:buy|purchase|obtain|sell|acquire)\w*\s+(?:\w+\s+){0,4}illegally\b|\bsteal(?:s|ing)?\s+(?:a |an |the )?(?:goods|cars?|packages|shipments|from\s+(?:a |an |the |their )?(?:store|shop|shipments?|warehouse|employer|truck|charity|nonprofit|company|bank|workplace))\b|\bsteal(?:s|ing)?\s+(?:\w+'?s?\s+){0,3}(?:information|data|money|identit(?:y|ies)|records|secrets|funds)\b|\bescape\s+from\s+(?:a |the )?(?:prison|jail|correctional facility)\b|\bpirat(?:ed|e|ing)\s+(?:\w+\s+)?(?:software|content|movies|games|music)\b|\billegal\s+drugs\b|\bdrugs?\s+(?:that\s+)?(?:can\s+be\s+)?(?:\w+\s+){0,2}(?:synthesi[sz]ed|made|produced|manufactured|cooked)\b|\bconceal\w*\s+(?:\w+\s+){0,2}(?:criminal|crimes?|evidence|a body)\b|\bdestr(?:oy|oying|uction of)\s+(?:the\s+)?evidence\b|\bhit[- ]and[- ]run\b|\binfiltrat\w+\s+(?:a |an |the )?(?:secure|government|military|police)\b|\bhuman organs\b/i,
    reason: 'The goal asks for help with an illegal activity.',
  },
  {
    category: 'other',
    // Hate, harassment and manipulation: content meant to demean, threaten or deceive people.
    pattern:
      /\b(?:incit\w+|stir\w* up|promot\w+|spread\w*)\s+(?:\w+\s+){0,2}(?:hatred|hate|violence|racism|genocide)\b|\bhatred (?:toward|towards|against|of)\b|\b(?:racist|sexist|homophobic|transphobic|antisemitic|xenophobic|misogynistic)\s+(?:\w+\s+)?(?:jokes?|slurs?|messages?|posts?|rants?|content|text|propaganda|manifesto|nicknames|names|terms|insults|words|remarks|comments|memes?)\b|\b(?:calling\s+for|calls?\s+for|advocat\w+|urging|inciting)\s+(?:\w+\s+)?(?:violence|attacks?|killing|murder|genocide|harm)\b|\b(?:racial|ethnic)\s+slurs?\b|\bwhite supremac\w+|\binferior (?:race|races|people)\b|\bholocaust (?:denial|never happened|was (?:a hoax|fake|exaggerated))\b|\bglorif\w+\s+(?:the\s+)?(?:terror\w*|violence|mass|shooters?|nazis?|genocide|attacks?|killers?)\b|\b(?:bully|cyberbully|harass|stalk|doxx?|intimidate|threaten|humiliate)\w*\s+(?:a |an |the |my |his |her |their |some |someone|somebody|people|person|him|her|them|classmate|coworker|colleague|ex)\b|\b(?:threatening|harassing|intimidating)\s+(?:message|letter|email|note|text)s?\b|\b(?:coerce|manipulate|groom)\w*\s+(?:\w+\s+){0,4}(?:into|to)\s+(?:shar|send|giv|hav|perform|meet)\w*|\b(?:explicit|nude|intimate)\s+(?:images?|photos?|pictures?)\s+of\b|\brevenge porn\b|\bnon[- ]consensual\b|\bdefamatory\b|\b(?:write|create|generate|produce|spread|draft|craft)\w*\s+(?:\w+\s+){0,3}(?:disinformation|misinformation|propaganda|fake news)\b|\bpersuasive\s+(?:\w+\s+)?(?:article|post|essay|advertisement|ad|blog|speech|tweet|message|piece|email|letter|social media post)\b|\b(?:convinc\w+|persuad\w+)\s+(?:people|readers|the public|children|kids|minors|teens|users|voters)\s+(?:that|to)\b|\b(?:is|was) (?:a hoax|faked)\b|\bintentionally (?:prolonged|created|released|spread|engineered)\b|\b(?:vaccines?|5g) (?:cause|causes|caused)\b|\b(?:generate|reproduce|write out|print|output|give me)\s+(?:the\s+)?(?:full\s+|entire\s+|complete\s+|whole\s+)?lyrics\s+(?:of|to|for)\b|\blong passage from\b/i,
    reason: 'The goal asks for content that demeans, threatens or deceives people.',
  },
  // --- more of the same families, phrased as requests for methods rather than by their objects
  {
    category: 'weapons',
    pattern:
      /\b(?:toxic|poisonous|lethal|deadly)\s+(?:gas|gases|fumes)\b|\b(?:undetectable|untraceable|hard(?:est)?\s+to\s+(?:detect|trace))\b.{0,40}\b(?:poisons?|toxins?|weapons?|guns?)\b|\bpoisons?\b.{0,40}\b(?:undetectable|untraceable|hard(?:est)?\s+to\s+(?:detect|trace)|autopsy|without\s+a\s+trace)\b|\b(?:children|kids|minors|teens?|teenagers)\s+(?:how\s+)?(?:to\s+)?(?:access|use|get|buy|obtain|handle|fire|shoot|load)\s+(?:a\s+|the\s+)?(?:firearms?|guns?|weapons?|pistols?|rifles?)\b|\b(?:car bomb|suicide vest|full[- ]auto(?:matic)? conversion|convert\w*\s+(?:\w+\s+){0,3}(?:to|into)\s+(?:full[- ]auto|automatic fire)|glock switch)\b|\bmake\s+(?:\w+\s+){0,3}more\s+(?:deadly|lethal|transmissible|contagious|virulent)\b|\bspread\w*\s+(?:a |the )?(?:virus|disease|pathogen|infection|toxin)\s+(?:in|through|among|across|at)\s+(?:a |the )?(?:subway|crowd|city|population|metro|stadium|school|office)\b|\bmix\w*\s+bleach\s+(?:and|with)\s+(?:ammonia|vinegar)\b|\b(?:easy|easiest)\s+to\s+(?:destroy|blow\s+up|bomb|attack)\b/i,
    reason: 'The goal asks for help with weapons or explosives.',
  },
  {
    category: 'violence',
    pattern:
      /\b(?:flay\w*|dismember\w*|mutilat\w*|drawn and quartered|snuff film|behead\w*|ransom (?:note|letter|demand))\b|\b(?:graphic|gory)\s+detail\b|\banimal cruelty\b|\b(?:torture|poison|hurt|kill|abuse)\s+(?:a |the |my |our |some |neighbou?r'?s )?(?:cats?|dogs?|animals?|pets?)\b|\b(?:beats?|beating|abus\w+)\s+(?:their|his|her|a)\s+(?:spouse|wife|husband|partner|child|children|kids?)\b/i,
    reason: 'The goal asks for help harming people or animals.',
  },
  {
    category: 'malware',
    pattern:
      /\bunauthori[sz]ed access\b|\b(?:access|track|monitor|spy|read|record|film|follow|watch|hack|control|install|turn\s+on)\w*\b[^.!?]{0,60}\bwithout\s+(?:them|him|her|anyone|the\s+(?:owner|user|victim))\s+(?:knowing|noticing|finding\s+out)\b|\bsomeone'?s\s+(?:webcam|camera|microphone)\b|\bremotely\s+(?:access|control|activate|turn\s+on)\s+(?:someone|a|their|his|her)\b|\bbreak\w*\s+into\s+(?:\S+\s+){0,3}?(?:wi-?fi|network|accounts?|systems?|computers?|servers?|databases?|emails?|phones?)\b|\b(?:get|gain access|break|sneak|log)\s+into\s+(?:my ex'?s|someone(?: else)?'?s|(?:his|her|their)|my (?:boss|partner|wife|husband|girlfriend|boyfriend|neighbou?r|coworker|colleague)'?s)\s+(?:\S+\s+){0,2}?(?:account|email|phone|wi-?fi|computer|messages|instagram|facebook)\b|\bmalicious\s+(?:code|software|script|program|payload|link|macro|apps?)\b|\bflood\w*\s+(?:a |the )?(?:website|server|network|site)\b|\b(?:take|knock|bring)\s+(?:\w+\s+){0,2}(?:website|site|server|network|service)s?\s+(?:down|offline)\b|\b(?:exploit\w*|using|use|leverage|abuse)\s+(?:the\s+)?(?:[\w-]+\s+){0,3}vulnerabilit(?:y|ies)\b|\btake (?:control|over) of (?:a |the |someone'?s |their )?(?:system|server|computer|device|network|account)s?\b|\bexfiltrat\w+|\b(?:rainbow table|password cracking|crack(?:ing)?\s+(?:\w+\s+)?(?:passwords?|wi-?fi|wpa2?|hashes))\b|\b(?:corrupts?|wipes?|encrypts?)\s+(?:the\s+)?(?:hard drive|disk|files)\b|\b(?:self[- ]?(?:spreading|replicating|propagating))\b|\b(?:worm|payload|shellcode)\s+(?:script|code)\b|\bcomputer\s+(?:worm|virus)\b|\b(?:sqli|wafs?)\b(?=.{0,40}\b(?:evade|bypass|obfuscat))|\bobfuscat\w+\s+(?:\w+\s+){0,3}(?:payloads?|malware|code)\s+to\s+(?:evade|bypass)\b|\bdisable\s+(?:a |an |the |my |their |someone'?s )?(?:home |house |car |burglar )?(?:gps tracker|security cameras?|cctv|alarm system|home alarm|house alarm|burglar alarm|anti-?theft)\b/i,
    reason: 'The goal asks for help with malicious software or intrusion.',
  },
  {
    category: 'fraud',
    pattern:
      /\bdeepfakes?\b|\bcatfish\w*|\b(?:trick|con|swindle|fool|deceive|manipulate)\w*\s+(?:\w+\s+){0,3}(?:out\s+of\s+their|into\s+(?:giving|sending|paying|wiring))\b|\bpretend\w*\s+to\s+be\s+(?:from\s+)?(?:the|a|an|their|your)\s+(?:bank|police|irs|tax\s+office|government|tech\s+support|support\s+team|microsoft|apple|amazon|paypal)\b|\bget\s+(?:their|his|her|someone'?s|people'?s)\s+(?:pin|password|login|credentials|card\s+(?:details|number)|bank\s+details|social\s+security)\b|\b(?:fake|forged?|counterfeit)\s+(?:\w+'?s?\s+)?(?:notes?|certificates?|licen[cs]es?|degrees?|receipts?|vaccination (?:cards?|records?)|sick notes?)\b|\b(?:skimm(?:er|ing)(?: device)?|romance scams?|fake (?:\w+\s+)?login page|forg(?:e|ing|ed)\s+(?:a |an |the )?(?:\w+\s+)?(?:prescription|signature|document|check|cheque|passport|visa|id)s?)\b|\bcheat\w*\s+(?:on|in)\s+(?:a |an |the |my |online |their )?(?:tests?|exams?)\b|\bcheat(?:ing)?\s+(?:a |the |at )?(?:casinos?|slot machines?|poker|blackjack|lottery|insurance company)\b|\bcounterfeit\w*\s+(?:\w+\s+){0,2}(?:money|bills|banknotes|notes|currency|coins|cash|dollars|euros?|goods|products|documents|passports|tickets)\b|\b(?:how\s+to|ways\s+to|help\s+me)\s+counterfeit\b|\b(?:write|craft|draft|compose|create|generate|send)\w*\s+(?:a |an )?(?:\w+\s+){0,2}scam\s+(?:emails?|messages?|texts?|letters?|scripts?|calls?)\b|\b(?:asking|ask)\s+(?:\w+\s+){0,2}for\s+gift\s+cards\b|\bfalsif\w+|\bmanipulat\w+\s+(?:\w+\s+){0,2}(?:stock|markets?|prices|elections?|ratings|reviews|public opinion|search engine)\b|\b(?:counterfeit|fake)\s+(?:goods|products|money)\b|\b(?:mail|bank|credit card|securities)\s+fraud\b|\b(?:fool|cheat|trick|beat|bypass)\s+(?:a |the )?(?:breathalyzer|breathalyser|drug test|polygraph|self[- ]checkout)\b|\b(?:impersonat\w+|posing as|pose as|pretend(?:ing)? to be)\s+(?:a |an |the )?(?:police|officer|cop|irs|bank|government official|doctor|expert|customs officer)\b/i,
    reason: 'The goal asks for help with fraud or deception.',
  },
  {
    category: 'illegal_activity',
    pattern:
      /\b(?:access|obtain|get|acquire|buy|purchase|enter|use|read)\w*\s+(?:\S+\s+){0,6}?without\s+(?:authori[sz]ation|(?:their |his |her |official )?(?:permission|consent|knowledge)|a prescription|regulatory oversight)\b|\b(?:sexual exploitation|child labou?r(?:ers?)?|illegal brothel|forced labou?r|contraband)\b|\bwithout\s+(?:a\s+)?(?:background checks?|serial numbers?)\b|\b(?:not|never)\s+(?:get(?:ting)?|being)\s+caught(?!\s+(?:in|by|up|out|on))\b|\blaunder\w*\s+(?:\w+\s+){0,2}(?:money|cash|funds|proceeds|crypto)\b|\bundetected\b|\bwithout\s+being\s+(?:detected|noticed|seen|searched|traced|tracked|identified)\b|\b(?:sell|fence|pawn|launder)\w*\s+(?:\w+\s+){0,2}stolen\b|\b(?:get|make)\s+(?:\w+\s+){0,3}addicted\s+to\b|\b(?:sneak|smuggl)\w*\s+(?:\w+\s+){0,3}(?:through|past|onto|into|on)\s+(?:a |the )?(?:airport\s+)?(?:security|plane|flight|aircraft|customs|border|prison|checkpoint)\b|\b(?:recruit\w*|radicali[sz]\w*)\s+(?:\w+\s+){0,3}(?:for|into|to join)\s+(?:isis|al[- ]qaeda|a terrorist|an extremist|terror)|\bhuff(?:ing)?\s+(?:paint|glue|gas)\b/i,
    reason: 'The goal asks for help with an illegal activity.',
  },
  {
    category: 'other',
    pattern:
      /\b(?:vitriol|slurs?|pornographic|sexting)\b|\b(?:write|generate|create)\s+(?:an?\s+)?(?:sexually\s+)?explicit\s+(?:story|scene|content|message|text)\b|\b(?:sexist|racist|misogynistic)\s+(?:\w+\s+)?(?:email|note|letter|tweet|essay)\b|\b(?:articles?|essays?|posts?|threads?|blog posts?|tweets?|speech|op-eds?|letters?)\s+(?:\w+\s+){0,2}(?:arguing|claiming|suggesting|denying|downplaying|asserting|alleging|proving)\b|\b(?:convinc\w+|persuad\w+|encourag\w+|pressur\w+)\s+(?:a |an |my |your |their )?(?:friend|teenager|teen|child|kid|minor|student|colleague|coworker|parent)s?\s+(?:to|into)\s+(?:use|try|take|huff|start|drink|eat|smoke|inject|stop\s+taking|harm|hurt|kill|have\s+sex|send)\b|\b(?:insult\w*|demean\w*|mock\w*|ridicul\w*|humiliat\w*)\s+(?:a |an |my |his |her )?(?:black|white|asian|jewish|muslim|gay|trans|disabled|female|male)\b|\bbull(?:y|ies|ying)\s+(?:a |the )?(?:child|kid|student|classmate)\b|\bgaslight\w*|\bstalking\b|\bgroom\w*\s+(?:a\s+)?(?:children|child|kids|minors|teens?|girls|boys)\b|\b(?:caused|created|engineered|planned|faked|staged)\s+by\s+the\s+(?:government|cia|jews|elites?|deep state)\b|\bare\s+(?:vermin|subhuman|parasites|cockroaches|savages|inferior)\b|\b(?:track|monitor|spy\s+on|read|record|film|follow)\w*\s+(?:\S+\s+){0,3}?(?:secretly|covertly|without\s+(?:them|him|her)\s+knowing)\b|\bsecretly\s+(?:track|record|film|monitor|spy|follow|read)\w*\b|\bcyber\s?(?:bull\w*|stalk\w*|harass\w*)|\bwithout\s+(?:(?:their|his|her|user|users'?|the user'?s|the owner'?s)\s+)?(?:knowledge|consent)\b|\bhate speech\b|\bfake news\b|\bpromot\w*\s+(?:\w+\s+){0,3}(?:racism|hatred|violence|terrorism|nazism|fascism|extremism|jihad\w*|antisemitism|xenophobia|homophobia|misogyny|anorexia|bulimia|eating disorders|self[- ]harm|suicide|illegal drugs|drug use|use of (?:illegal\s+)?drugs|gang|sexual assault|oppression|dehumani[sz]ation)\b|\bglorif\w+\s+(?:\w+\s+){0,2}(?:war|violence|gang|sexual assault|rape|crime|criminal|shooters?|shootings?|killers?|murderers?|terrorists?|bombers?|massacres?|atrocit\w+)\b|\b(?:white|aryan)\s+(?:nationalis\w+|supremac\w+|power)\b|\bneo-?nazi\w*|\b(?:spread|make|making|write|publish|post|create)\w*\s+(?:\w+\s+){0,2}false\s+(?:accusations|allegations|claims|information|rumou?rs)\b|\bdefam\w+|\b(?:manipulat\w+|trick\w*)\s+(?:\w+\s+){0,2}(?:people|someone|others|users|victims)\s+into\b|\bdrunk driving\b|\bdangerous behaviou?rs?\b|\bspy(?:ing)?\s+on\s+(?:people|someone|users|my|his|her|their|employees)\b|\bthreat\w*\s+to\s+(?:kill|hurt|harm|bomb|shoot|rape)\b|\b(?:oppression|dehumani[sz]ation)\s+of\b|\bchild\s+(?:porn\w*|sexual\s+abuse)\b|\b(?:bully|harass)\w*\s+(?:others|individuals|users)\b|\bdiscrimination\s+is\s+(?:beneficial|good|justified)\b/i,
    reason: 'The goal asks for content that demeans, threatens or deceives people.',
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
