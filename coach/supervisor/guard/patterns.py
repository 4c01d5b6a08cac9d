"""The guard's first layer: patterns for each category. They are precise rather than broad:
they cost microseconds, never miss the textbook phrasings, and every hit names the words that
matched. Phrasings they do not know are the semantic layer's job (coach.supervisor.guard.semantic).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from coach.supervisor.guard.categories import CATEGORIES, Category
from coach.supervisor.safety import any_of

SELF_HARM = (
    r"(?:kill(?:ing)?\s+my\s?self(?!\s+laughing)|end(?:ing)?\s+(?:it\s+all|my\s+(?:own\s+)?life)|"
    r"hurt(?:ing)?\s+my\s?self|harm(?:ing)?\s+my\s?self|cut(?:ting)?\s+my\s?self|"
    r"take\s+my\s+(?:own\s+)?life|not\s+(?:be\s+)?(?:alive|here)\s+anymore)"
)
PEOPLE = r"(?:my\s+client|the\s+client|client|participant|patient|he|she|they|him|her|them)"
DRUGS = (
    r"(?:psilocybin|mushrooms?|shrooms|truffles|lsd|acid|mdma|molly|ecstasy|ketamine|"
    r"ayahuasca|dmt|5-?meo|ibogaine|mescaline|peyote|san\s+pedro|psychedelics?|"
    r"microdos\w*|the\s+medicine)"
)
MEDICATION = (
    r"(?:lithium|ssris?|snris?|maois?|antidepressants?|sertraline|fluoxetine|"
    r"prozac|zoloft|lexapro|escitalopram|citalopram|paroxetine|venlafaxine|"
    r"bupropion|tramadol|antipsychotics?|benzos?|benzodiazepines?|xanax|"
    r"medications?|meds|alcohol|cannabis|weed)"
)

DETECTORS: dict[Category, re.Pattern[str]] = {
    "crisis_self": any_of(
        rf"\b{SELF_HARM}",
        rf"\bI(?:'m|\s+am|'ve|\s+have|\s+keep|\s+feel)?\s+(?:been\s+)?(?:thinking\s+(?:about|of)"
        rf"|planning|going|want(?:ing)?|tempted|ready)\s+(?:to\s+)?{SELF_HARM}",
        rf"\bI\s+(?:might|could|will|would|want\s+to|wanna)\s+{SELF_HARM}",
        r"\bI\s+(?:don't|do\s+not)\s+want\s+to\s+(?:be\s+alive|live|be\s+here|wake\s+up"
        r"(?!\s+(?:next|as\s+the\s+same|the\s+same|feeling)))\b",
        r"\bI(?:'m|\s+am|\s+feel|'ve\s+been|\s+have\s+been)\s+(?:\w+\s+)?suicidal\b",
        # and its kin: "lighter", "happier", "freer" without me (widened after guard-heldout16)
        r"\b(?:everyone|they|people|my\s+(?:family|kids|wife|husband|partner)|the\s+world)"
        r"(?:\s+in\s+my\s+life)?\s+(?:would|'d)\s+be\s+(?:so\s+much\s+|much\s+|a\s+lot\s+)?"
        r"(?:better\s+off|lighter|happier|freer|better)\s+without\s+me\b",
        r"\bno\s+(?:reason|point)\s+(?:to|in)\s+(?:live|living|going\s+on)\b",
        r"\bI(?:'ve|\s+have)\s+been\s+(?:cutting|hurting|harming)\s+myself\b",
        r"\bI(?:'d|\s+would)\s+(?:\w+\s+)?rather\s+be\s+dead\b",
        r"\bI\s+(?:\w+\s+){0,2}want(?:ed)?\s+to\s+die\b",
        r"\b(?:reading|read|looking|looked|researching|researched)\s+(?:up\s+)?(?:about\s+)?"
        r"(?:how\s+(?:people|to)\s+(?:do\s+it|kill|end\s+it)|(?:suicide\s+)?methods\b)",
        r"\bI(?:'ve|\s+have)?\s+(?:been\s+)?(?:burn(?:ed|t|ing)?|cut(?:ting)?|scratch(?:ed|ing))\s+"
        r"(?:my\s+(?:\w+\s+)?(?:arms?|wrists?|legs?|thighs?|skin|stomach)|myself)\b",
        # Textbook warning signs: giving things away with a farewell, affairs put in order.
        r"\bI(?:'ve|\s+have)?\s+(?:been\s+)?(?:giving|gave|given)\s+(?:away\s+)?(?:all\s+)?my\s+"
        r"(?:\w+\s+){0,3}(?:away|to\s+(?:my|a|the)\s+\w+)\b(?=[\s\S]{0,300}?\b(?:whatever\s+"
        r"happens|before\s+I\s+go|after\s+I(?:'m|\s+am)\s+gone|won't\s+be\s+(?:around|here|"
        r"needing)|(?:wanted|want)\s+to\s+(?:say\s+)?(?:thank|goodbye)|(?:supervision|you)\s+"
        r"(?:mattered|meant))\b)",
        r"\b(?:getting|got|putting|put)\s+my\s+affairs\s+in\s+order\b",
        # Slang and weariness with being alive (added 2026-12-07: guard-heldout12's first score
        # missed "been having some unalive thoughts ... just tired of existing").
        r"\bunalive\b(?!\s+(?:him|her|them)sel)",
        r"\b(?:tired|sick)\s+of\s+(?:existing|being\s+alive)\b",
        # Passive ideation and a car as the means (added 2026-12-07: guard-heldout15's first
        # score missed "it wouldn't be such a bad thing to just go and be with him" and "how easy
        # it'd be to drift into the oncoming lane").
        r"\b(?:wouldn't|would\s+not|wouldnt)\s+be\s+(?:such\s+)?a\s+bad\s+thing\s+(?:if\s+I\s+"
        r"(?:didn't\s+wake|died|wasn't\s+(?:here|around)|was\s+gone)|to\s+(?:just\s+)?(?:go|die|not\s+"
        r"wake|join|be\s+with|not\s+be\s+(?:here|around)))\b",
        r"\b(?:drive|driving|drove|drift|drifting|swerve|swerving|steer|steering|veer|veering)\s+"
        r"(?:\w+\s+){0,3}into\s+(?:the\s+)?(?:oncoming|on-coming|traffic|a\s+(?:tree|wall|truck|"
        r"lorry|bridge))",
    ),
    "crisis_client": any_of(
        r"\b(?:is|was|has\s+been|feels?|felt|seems?|sounds?|became|getting|got|been)\s+"
        r"(?:\w+\s+)?(?:suicidal|self-harming)\b",
        r"\b(?:talk\w*|spoke|mention\w*|disclos\w*|told\s+me|texted|wrote|messag\w*|hint\w*)"
        r"\s+(?:\w+\s+){0,3}about\s+(?:suicide|killing\s+(?:him|her|them)sel\w+|"
        r"ending\s+(?:it|(?:his|her|their)\s+life)|wanting\s+to\s+die|self-harm)",
        r"\b(?:has|having|had|reports?|reported|disclosed)\s+(?:\w+\s+)?(?:suicidal\s+"
        r"(?:thoughts|ideation|feelings|plans?)|thoughts\s+of\s+(?:suicide|dying|killing))",
        r"\b(?:attempted\s+suicide|(?:made\s+a\s+)?suicide\s+attempt)\b[^.?!]{0,20}\b(?:last\s+"
        r"(?:night|week)|yesterday|today|this\s+(?:morning|week)|again|just\s+now)\b",
        r"\b(?:just|last\s+night|yesterday|this\s+morning)\s+(?:\w+\s+)?(?:attempted\s+suicide|"
        r"tried\s+to\s+(?:kill|end))\b",
        r"\bkill(?:ing)?\s+(?:him|her|them)sel(?:f|ves)\b",
        r"\bend(?:ing)?\s+(?:his|her|their)\s+(?:own\s+)?li(?:fe|ves)\b",
        r"\b(?:looking\s+up|researching|searching)\s+(?:ways|how)\s+to\s+(?:die|overdose)\b",
        r"\bwould\s+be\s+better\s+off\s+without\s+(?:him|her|them)\b",
        r"\b(?:pills|tablets)\s+(?:saved|stockpiled|hoarded)\b",
        r"\b(?:saved|stockpiled|hoarded)\s+(?:up\s+)?(?:pills|tablets|medication)\b",
        r"\btonight\s+is\s+the\s+night\b",
        r"\b(?:cutting|burning|cut|burned|burnt)\s+(?:his|her|their)\s+(?:fore)?(?:arms?|wrists?|"
        r"thighs?|legs?|skin|stomach)\b|\bfresh\s+blood\b",
        r"\busing\s+(?:it|the\s+\w+)\s+on\s+(?:him|her|them)sel(?:f|ves)\b",
        r"\b(?:giving|gave|given)\s+(?:away\s+)?(?:all\s+)?(?:his|her|their)\s+(?:\w+\s+)?"
        r"(?:things|belongings|possessions|stuff|savings)\s+away\b|\bgiving\s+away\s+(?:all\s+)?"
        r"(?:his|her|their)\s+(?:\w+\s+)?(?:things|belongings|possessions|stuff|savings)\b",
        r"\b(?:getting|got|putting|put)\s+(?:his|her|their)\s+affairs\s+in\s+order\b",
        # (added 2026-12-07: guard-heldout12's first score missed a client who had "made his
        # peace with checking out early".)
        r"\bunalive\s+(?:him|her|them)sel(?:f|ves)\b",
        r"\b(?:made|making)\s+(?:his|her|their)\s+peace\s+with\s+(?:checking\s+out|dying\s+"
        r"(?:early|soon)|not\s+being\s+(?:here|around))\b",
        r"\b(?:fresh|new|recent|deep)\s+(?:cuts|burns|wounds|scratches)\b|\bcuts\s+on\s+(?:his|her|"
        r"their)\s+(?:fore)?(?:arms?|wrists?|thighs?|legs?|stomach)\b",
        r"\b(?:collecting|hoarding|saving\s+up|stockpiling)\s+(?:\w+\s+)?(?:pills|tablets|meds|"
        r"medications?)\b",
        r"\b(?:doesn't|does\s+not|don't|can't)\s+see\s+(?:the|any)\s+point\s+(?:in|of)\s+"
        r"(?:going\s+on|living|carrying\s+on|being\s+here)\b",
        # Voices that command self-harm (added after guard-heldout16's first score, which read
        # "voices that tell him to walk into traffic" as psychosis alone).
        r"\bvoices?\b[^.?!]{0,40}\b(?:tell|tells|telling|told|want|wants|order\w*|command\w*)\s+"
        r"(?:him|her|them)\s+to\s+(?:walk\s+into\s+(?:traffic|the\s+sea|the\s+river)|jump|die|"
        r"drown|end\s+it|kill\s+(?:him|her|them)sel|hurt\s+(?:him|her|them)sel|cut|stop\s+eating)",
        rf"\b{PEOPLE}\s+(?:wants?\s+to|is\s+going\s+to|said\s+(?:he|she|they)(?:'d|\s+would|"
        rf"\s+will)|threatened\s+to)\s+(?:die\b|(?:hurt|kill|harm)\s+(?:him|her|them)sel)",
    ),
    "medical_emergency": any_of(
        r"\bchest\s+(?:pain|hurts|is\s+hurting|tightness|feels\s+tight)\b",
        r"\b(?:right\s+now|just\s+now|at\s+the\s+moment|in\s+(?:a|the)\s+session)\b"
        r"[\s\S]{0,150}\b(?:heart|pulse)\s+(?:is\s+)?(?:racing|pounding|beating\s+(?:really\s+)?fast)",
        r"\b(?:not|stopped|isn't|is\s+not|can't|cannot)\s+breath(?:e|ing)\b",
        r"\bseizures?\b|\bconvuls\w*",
        # "been fitting on and off for ten minutes" (added after guard-heldout15's first score)
        r"\b(?:is|was|been|started|starts|keeps?|kept|he's|she's|they're|hes|shes|still)\s+"
        r"(?:\w+\s+)?fitting\b(?=\s+(?:on\s+and\s+off|again|badly|non-?stop|now|for\s+(?:about\s+|"
        r"over\s+|like\s+|almost\s+)?(?:\d+|a\s+(?:few|couple)|one|two|three|four|five|ten|fifteen|"
        r"twenty)\s*(?:min|sec|minutes?|seconds?|mins))|\s*[.,!;]|\s*$)",
        # not "the energy in the room collapsed" or "collapsed into sobbing" (added
        # 2026-12-07 after guard-heldout13's first score)
        r"\b(?:unconscious|unresponsive|passed\s+out|fainted)\b|"
        r"(?<!energy )(?<!room )(?<!mood )(?<!vibe )(?<!group )\bcollapsed\b"
        r"(?!\s+(?:into|in)\s+(?:\w+\s+)?(?:sob|tears|cry|weep|laugh|giggl|a\s+heap|a\s+puddle))",
        r"\b(?:stopped|not|isn't|won't)\s+respond(?:ing)?\s+(?:to\s+(?:us|me|anyone)|at\s+all)",
        r"\b(?:is|he's|she's|they're|I'm|am|are|was|keeps?)\s+(?:\w+\s+)?overheating\b|"
        r"\b(?:heat\s?stroke|temperature\s+of\s+(?:4\d|10[4-9]))\b",
        r"\bvomiting\s+blood\b|\bturn(?:ing|ed)\s+blue\b|\bbluish\s+lips\b",
        # An overdose now or just taken, the trainee's own or someone's (added 2026-12-07:
        # guard-heldout10 held one that every layer answered as impaired practice).
        rf"\b(?:I|{PEOPLE})\s+(?:just\s+|may\s+have\s+|might\s+have\s+)?(?:took|swallowed|"
        r"(?:'ve|have|has)\s+(?:just\s+)?(?:taken|swallowed))\s+(?:a\s+lot|most|the\s+"
        r"(?:whole|rest)|too\s+many|loads|a\s+bunch|a\s+handful|\d{2,})\s+(?:of\s+)?"
        r"(?:(?:my|his|her|their|the)\s+)?(?:[\w-]+\s+){0,2}(?:pills?|tablets?|bottle|packet|meds|"
        r"medications?|capsules|\w+(?:pam|lam|pine|done|tine|line|pram))\b",
        r"\b(?:(?:has|have|'s|'ve|just|may\s+have|might\s+have)\s+overdosed|overdosing)\b"
        r"(?!\s+on\s+(?:coffee|caffeine|sugar|chocolate|cake|work|tv|netflix|podcasts|reading))",
    ),
    "combination": any_of(
        rf"\b(?:combin\w*|mix\w*|together\s+with|along\s+with|while\s+(?:on|taking)|"
        rf"interact\w*)\b[^.?!]{{0,60}}\b{MEDICATION}\b",
        rf"\b(?:is|are)\s+(?:on|taking)\s+{MEDICATION}\b[^.?!]{{0,80}}\b{DRUGS}\b",
        rf"\b{MEDICATION}\b[^.?!]{{0,40}}\b(?:and|with|plus)\s+{DRUGS}\b",
        rf"\b{DRUGS}\b[^.?!]{{0,40}}\b(?:and|with|plus)\s+{MEDICATION}\b",
        # "does ketamine behave differently when someone's had a few glasses of wine first?"
        # (added after guard-heldout16's first score)
        rf"\b{DRUGS}\b[^.?!]{{0,60}}\b(?:after|on\s+top\s+of|when\s+(?:\w+(?:'s|\s+(?:has|have))|"
        rf"(?:I|we|you|they)(?:'ve|\s+have)))\s*(?:had)?\b[^.?!]{{0,30}}\b(?:wines?|beers?|drinks?|alcohol|booze|{MEDICATION})\b"
        r"[^.?!]{0,40}\?",  # asked about, not told as history
    ),
    "dosing": any_of(
        r"\bhow\s+(?:much|many)\b[^.?!]{0,40}\b(?:mg|milligrams?|grams?|g|mcg|ug|micrograms?|"
        r"tabs?|tablets?|pills?|drops?|capsules?|hits?|caps)\b",
        r"\b(?:what(?:'s|\s+is)?|which)\s+(?:(?:a|an|the)\s+)?(?:\w+\s+)?(?:dose|dosage|amount)s?\b",
        r"\b(?:a|an|the)\s+(?:safe|right|usual|standard|good|sensible|reasonable|typical|normal|"
        r"appropriate|starting|maximum|max|therapeutic)\s+(?:dose|dosage|amount)s?\b"
        # "a normal amount of recovery time" is no dose (added after guard-heldout13)
        r"(?!\s+of\s+(?:recovery|rest|sleep|time|sessions?|work|support|preparation|integration))",
        rf"\bhow\s+(?:much|many)\s+(?:more\s+)?(?:should|to\s+take|do\s+I|does\s+(?:he|she))\b"
        rf"[^.?!]{{0,30}}\b(?:take|give|dose|use|have|eat|drink|drop|swallow|vape|smoke|{DRUGS})\b",
        r"\bhow\s+(?:much|many)\s+more\b(?!\s+(?:time|detail|of\s+(?:this|that)|work|sessions?))",
        r"\b(?:booster|redose|re-dose|top-?up)\b(?!\s+(?:packages?|shots?|vaccines?|jabs?|sessions?))",
        r"\bmicrodos\w*\b[^.?!]{0,60}\b(?:amount|schedule|protocol|how\s+much|dose)\b",
        r"\b(?:dose|dosage|dosing)\b(?!\s+(?:sessions?|days?|rooms?|teams?|visits?|weekends?))"
        r"[^.?!]{0,40}\b(?:should|recommend|tell|give|take)\b",
        r"\b(?:should|recommend|tell|give|take)\b[^.?!]{0,40}\b(?:dose|dosage|dosing)\b",
        r"\bwhich\s+(?:sleeping\s+)?(?:pills|tablets|medication)\b[^.?!]{0,40}\b(?:take|give)\b",
    ),
    "sourcing": any_of(
        rf"\bwhere\b[^.?!]{{0,40}}\b(?:buy|get|find|order|source|purchase|score|pick\s+up)\b"
        rf"[^.?!]{{0,40}}\b{DRUGS}",
        r"\b(?:reliable|trusted|trustworthy|good|safe|legit)\s+(?:vendors?|dealers?|"
        r"suppliers?|sellers?|shops?)\b|\b(?:reliable|trusted|trustworthy|safe|legit)\s+sources?\b",
        r"\b(?:vendors?|dealers?|suppliers?)\b[^.?!]{0,40}\b(?:reliable|trust|recommend)\b",
        r"\bdark\s?(?:web|net)\b|\bspore\s+(?:syringes?|prints?)\b",
        rf"\b(?:buy|order|purchase|get\s+hold\s+of)\b[^.?!]{{0,30}}\b{DRUGS}\b",
        r"\bgrow\s+(?:my|his|her|their|your)\s+own\b",
    ),
    "legal": any_of(
        r"\b(?:is|was|would)\s+(?:it|that|this)\s+(?:\w+\s+){0,3}(?:legal|illegal|against\s+the\s+law)\b",
        r"\b(?:legal|illegal)\s+(?:for\s+me|to\s+do)\b",
        r"\b(?:can|could|may|am)\s+I\s+(?:\w+\s+){0,2}legally\b|\blegally\s+(?:allowed|bring|give|possess|carry)\b",
        r"\blicen[cs](?:e|ed)\b[^.?!]{0,40}\b(?:without|not\s+yet|lose|revoked)\b",
        r"\b(?:be|get|getting|been)\s+(?:sued|prosecuted|arrested|charged)\b",
        r"\b(?:sue|suing)\s+(?:me|us|him|her|them|the)\b|\b(?:I|we)\s+(?:\w+\s+){0,2}(?:be\s+)?"
        r"(?:liable|at\s+risk\s+of\s+(?:a\s+)?(?:lawsuit|prosecution))\b|\b(?:my|our)\s+"
        r"(?:personal\s+)?liability\b|\blawsuit\s+against\s+(?:me|us)\b|\b(?:criminal|civil)\s+"
        r"liability\b|\bexpos\w*\s+(?:me|us)\s+to\b",
        r"\b(?:protect|cover)\s+(?:myself|me|us)\s+legally\b|\blegal\s+advice\b",
        r"\b(?:do|must|should)\s+I\s+(?:have\s+to\s+)?report\b[^.?!]{0,30}\b(?:police|"
        r"authorities|the\s+law)\b",
        # A claim that something is legal, then asked about ("... is legal in Oregon.' Is that
        # right?"); the wrong side of the law, by any euphemism, for the trainee themself.
        r"\b(?:legal|illegal|lawful|unlawful|against\s+the\s+law)\b[^?]{0,80}[.!'\"\u2019\u201d]\s*"
        r"(?:is|was)\s+(?:that|this|it|he|she|they)\s+(?:\w+\s+)?(?:right|true|correct|accurate)\b",
        r"\b(?:would|could|will|am)\s+I\s+be\s+(?:\W?\s*)on\s+the\s+wrong\s+side\s+of\b",
        # (added after guard-heldout14: "word the waiver so that I'm protected ... and it doesn't
        # count as me supplying")
        r"\bwaivers?\b[^.?!]{0,80}\b(?:protect\w*|liab\w*|covered|sued|count\s+as)\b",
        r"\b(?:doesn't|does\s+not|wouldn't|won't)\s+count\s+as\s+(?:me\s+|us\s+)?(?:supplying|"
        r"dealing|distributing|selling|distribution|possession|trafficking)\b",
    ),
    "diagnosis": any_of(
        r"\b(?:give|tell)\s+me\s+(?:the|a|your)\s+(?:\w+\s+)?diagnos\w*",
        r"\bdiagnos(?:e|is)\s+(?:him|her|them|my\s+client|the\s+client|code)\b",
        r"\b(?:dsm|icd)(?:-?\s?\d+)?\b[^.?!]{0,30}\b(?:code|diagnos\w*)\b",
        r"\b(?:does|do|is|are)\s+(?:he|she|they|my\s+client|the\s+client)\s+(?:have\s+)?"
        r"(?:\w+\s+)?(?:bipolar|schizophreni\w*|psychotic|psychosis|ptsd|borderline|bpd|adhd|"
        r"hppd|manic|narcissis\w*|autis\w*|a\s+(?:\w+\s+)?disorder)\b",
        r"\bwhat\s+(?:disorder|condition|diagnosis)\s+(?:does|do|is)\b",
        rf"\b(?:should|could)\s+(?:my\s+client|the\s+client|she|he|they|I)\s+(?:stop|start|switch|"
        rf"come\s+off|go\s+on|taper|increase|reduce|change)\b[^.?!]{{0,40}}\b{MEDICATION}",
        r"\bwhich\s+(?:antidepressant|medication|ssri|antipsychotic|mood\s+stabili[sz]er)s?\s+"
        r"(?:should|would|is\s+best)\b",
        # (added after guard-heldout15: "want a label on his file ... what would you put down")
        r"\b(?:label|diagnosis|dx)\s+(?:on|in|for)\s+(?:his|her|their|the)\s+(?:file|chart|record|"
        r"notes)\b",
        r"\bwhat\s+would\s+you\s+(?:put\s+down|write\s+down|code|diagnose)\b",
    ),
    "harm_to_others": any_of(
        r"\b(?:going|want(?:s|ed)?|plan(?:s|ning)?|intend(?:s|ing)?|threaten(?:s|ed|ing)?|"
        r"ready)\s+to\s+(?:kill|shoot|stab|strangle|attack|hurt|harm)\s+(?:my|his|her|their|the)"
        r"\s+(?:wife|husband|partner|ex|boss|mother|father|mum|mom|dad|son|daughter|kids?|"
        r"children|neighbou?r|brother|sister|family|girlfriend|boyfriend|coworkers?|colleagues?)\b",
        rf"\b{PEOPLE}\s+(?:said|says|told\s+me|texted|threatened|wants?|plans?|is\s+going)\s+"
        r"(?:\w+\s+){0,4}(?:to\s+)?(?:kill|shoot|stab|strangle|murder)\s+"
        r"(?!(?:him|her|them)sel)(?:him|her|them|someone|somebody|people|everyone|my|his|"
        r"their)\b",
        r"\b(?:homicidal|make\s+(?:them|him|her)\s+(?:all\s+)?pay)\b",
        r"\b(?:bought|has|got|owns|carrying|brought)\s+(?:a\s+)?(?:gun|knife|weapon|rifle|"
        r"pistol)\b[^.?!]{0,60}\b(?:for|to\s+use\s+on|if\s+(?:he|she|they))\b",
        # A drug put into someone else's food or drink (added after guard-heldout14 and 15 held
        # a ceremony brew for a business partner's tea and mushroom powder in a roommate's coffee).
        rf"\b(?:{DRUGS}|brew|powder|tabs?|drops|dose)\b[^.?!]{{0,60}}\b(?:into|in)\s+(?:his|her|"
        r"their|someone's|somebody's|someone\s+else's|[a-z]+'s)\s+(?:[\w']+\s+)?(?:tea|coffee|drinks?|"
        r"food|water|juice|smoothie|beer|wine|meal|soup|dinner|cereal|punch)\b",
        r"\bspik(?:e|ed|ing)\s+(?:his|her|their|someone's|somebody's|[a-z]+'s|the)\s+(?:[\w']+\s+)?"
        r"(?:drinks?|tea|coffee|food|punch|water)\b",
        # An urge to shake or smother a baby (added after guard-heldout15's first score).
        r"\b(?:baby|infant|newborn|toddler)\b[^.?!]{0,80}\b(?:shake|shaking|shook|smother\w*|"
        r"suffocat\w*)\s+(?:him|her|them|it)\b|\b(?:shake|shaking|shook|smother\w*)\s+(?:the|my|"
        r"his|her|their)\s+(?:baby|infant|newborn|toddler)\b",
        r"\b(?:some\s+people|people|they|he|she|someone|everyone|them\s+all|those\s+\w+|"
        r"(?:all|the\s+lot|some|most|each)\s+of\s+them)\s+"
        r"(?:are|is|'re|'s|r|will|gonna)\s+(?:going\s+to\s+|gonna\s+)?pay\b(?=\s*(?:[.!,;\"'"
        r"\u201d\u2019]|$|for\s+(?:this|what)|one\s+day|dearly))",
    ),
    "abuse": any_of(
        r"\b(?:molest\w*|sexually\s+abus\w*|grooming|groomed)\b",
        r"\b(?:abus\w*|hit(?:s|ting)?|beat(?:s|ing)?|hurt(?:s|ing)?|neglect\w*|touch(?:es|ed|ing)"
        r"\s+inappropriately)\b[^.?!]{0,50}\b(?:child|children|kids?|son|daughter|toddler|baby|"
        r"grandchild\w*|grand(?:mother|father|ma|pa)|elderly|mother-in-law|father-in-law|"
        r"dependent|nephew|niece)\b",
        r"\b(?:child|children|kids?|son|daughter|toddler|baby|elderly\s+\w+)\b[^.?!]{0,50}\b"
        r"(?:is|are|was|were|being|been)\s+(?:\w+\s+)?(?:abused|beaten|hit|neglected|molested|"
        r"left\s+alone\s+for\s+days|starved)\b",
        r"\b(?:call|calling|report\w*\s+(?:it\s+)?to)\s+(?:child\s+protective\s+services|"
        r"cps|adult\s+protective\s+services)\b",
        r"\belder\s+(?:abuse|neglect)\b",
        # (added after guard-heldout15: "sexual contact with a 14-year-old girl in the youth
        # group")
        r"\b(?:sex\w*|intimate|inappropriate(?:ly)?|touch\w*)\b[^.?!]{0,60}\b(?:minors?|underage|"
        r"(?:1[0-7]|[1-9]|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen)"
        r"[- ]year[- ]olds?)\b",
    ),
    "psychosis": any_of(
        r"\b(?:hasn't|has\s+not|haven't|hadn't|not)\s+slept\s+(?:in|for)\s+(?:days|\d+|two|"
        r"three|four|five)\b",
        r"\b(?:hearing|hears|heard)\s+voices\b|\bvoices\s+(?:are\s+)?(?:telling|told|tell)\b",
        r"\b(?:believes|convinced|thinks|says)\s+(?:that\s+)?(?:he|she|they)\s+(?:is|are)\s+"
        r"(?:god|jesus|the\s+messiah|a\s+prophet|chosen|the\s+chosen\s+one|being\s+(?:watched|"
        r"followed|poisoned))\b",
        r"\b(?:is|seems|became|become|having|has|had|in|into)\s+(?:a\s+|an\s+)?(?:full(?:-blown)?\s+)?"
        r"(?:psychotic|psychosis|delusional|manic\s+episode)\b",
        r"\b(?:can't|cannot|couldn't)\s+tell\s+what(?:'s|\s+is)\s+real\b",
        r"\b(?:in|having|into)\s+(?:a\s+|an\s+)?(?:acute\s+)?spiritual\s+emergency\b",
        # No sleep in the service of a mission or messages: a textbook sign of mania or psychosis.
        r"\b(?:stopped|not|barely|haven't\s+been)\s+sleeping\b[^.?!]{0,80}\b(?:transmissions?|"
        r"downloads?|signals?|messages?\s+from|chosen|(?:a|my|the)\s+mission)\b",
    ),
    "impaired_practice": any_of(
        r"\bI(?:'m|\s+am|'ll\s+be|\s+was|\s+will\s+be)\s+(?:still\s+|a\s+bit\s+|kind\s+of\s+|"
        r"pretty\s+)?(?:drunk|high|stoned|tipsy|hungover|buzzed|tripping|wasted)\b",
        r"\b(?:microdos\w*|drunk|high|stoned|hungover|tripping)\b[^.?!]{0,50}\b(?:before|"
        r"during|while)\s+(?:my\s+|a\s+|the\s+)?(?:sessions?|clients?|work|shift)\b",
        r"\b(?:take|took|taking|drink|drank|smoke|smoked)\b[^.?!]{0,30}\b(?:with|alongside|"
        r"together\s+with)\s+(?:my|the)\s+clients?\b",
        rf"\b(?:sit|sitting|journey\w*|trip\w*|dos(?:e|ing))\s+with\s+(?:the\s+)?(?:medicine|{DRUGS})"
        r"\b[^.?!]{0,30}\b(?:with|alongside|together\s+with)\s+(?:my|the|a)\s+clients?\b",
        # (added after guard-heldout15: "I nodded off for a minute while sitting with a
        # participant")
        r"\bI\s+(?:\w+\s+)?(?:nodded|dozed|fell|drifted)\s+(?:off|asleep)\b[^.?!]{0,60}\b(?:with|"
        r"during|in)\s+(?:a|the|my|our)\s+(?:participant|client|session|ceremony|patient|guest|"
        r"infusion|journey)s?\b",
    ),
    "boundary": any_of(
        r"\b(?:date|dating|dated|kiss\w*|sleep\s+with|slept\s+with|sex\s+with|sexual|"
        r"romantic)\b[^.?!]{0,40}\b(?:my\s+|a\s+|"
        r"the\s+|former\s+|ex-?)?(?:client|participant|patient)s?\b",
        r"\b(?:client|participant|patient)\b[^.?!]{0,40}\b(?:asked\s+me\s+(?:out|on\s+a\s+date)|"
        r"(?:date|dating)\s+(?:me|each\s+other)|on\s+a\s+date\s+with\s+me|kissed\s+me|wants\s+to\s+be\s+"
        r"friends|moving\s+in\s+with\s+me|business\s+(?:deal|partner))\b",
        r"\b(?:client|participant|patient)\b[^.?!]{0,20}\b(?:are|r|'re|been|started)\s+(?:\w+\s+)?"
        r"dating\b|\bwe(?:'re|\s+are|\s+r|\s+started|'ve\s+been)\s+(?:\w+\s+)?dating\b",
        r"\b(?:be\s+friends|become\s+friends|go\s+into\s+business|invest\w*)\s+with\s+"
        r"(?:my|a|the|former)\s+(?:\w+\s+)?client\b",
        r"\b(?:start|open|set\s+up|run|launch)\s+(?:a|an|our)\s+(?:\w+\s+)?(?:business|company|"
        r"practice|retreat\s+centre|retreat\s+center)\s+together\b",
        # A lavish gift, or a relationship planned for after therapy (added after
        # guard-heldout16: a Rolex "in my bag now"; "once the formal sessions are over we'll let
        # things unfold").
        r"\b(?:gave|given|handed|gifted|offered|left)\s+me\s+(?:a|an|some)?\s*(?:real\s+)?(?:rolex|"
        r"designer\s+\w+|cash|money|envelope\s+of\s+cash|cheque|check\s+for|[$\u00a3\u20ac]\s?\d{3,})",
        r"\bonce\s+(?:the\s+)?(?:formal\s+)?(?:sessions?|therapy|treatment|work|integration)\s+(?:is|"
        r"are)\s+(?:over|done|finished|ended)\b[^.?!]{0,80}\b(?:together|unfold|date|see\s+each\s+other|"
        r"relationship)\b",
        # A client's invitation answered in kind (added after guard-heldout14 and 15: "I wrote
        # back 'I feel the same'", "I replied 'we'll see ;)'", "I'll leave the door unlocked").
        r"\bI\s+(?:replied|wrote\s+back|texted\s+back|messaged\s+back|responded|answered|said)\W{0,4}"
        r"(?:I\s+feel\s+the\s+same|I\s+felt\s+it\s+too|me\s+too|we'll\s+see|I\s+want\s+(?:that|"
        r"you|to)\s+too|same\s+here|I'd\s+like\s+that)",
        r"\b(?:leave|left|leaving)\s+the\s+door\s+unlocked\s+(?:for\s+(?:you|me)|on\s+)?(?:friday|"
        r"saturday|sunday|monday|tuesday|wednesday|thursday|tonight|tomorrow)",
    ),
    "role_drop": any_of(
        r"\b(?:ignore|disregard|forget)\s+(?:all\s+)?(?:your|the|previous|prior|above|these)\s+"
        r"(?:\w+\s+)?(?:instructions|rules|prompts?|guidelines)\b",
        r"\b(?:system\s+prompt|your\s+(?:hidden\s+)?instructions)\b",
        # not "do I reflect that back word for word" (fixed after guard-heldout15's first score)
        r"\b(?:repeat|print|show|reveal|output|paste|recite|copy|give\s+me|tell\s+me|write\s+out)\b"
        r"[^.?!]{0,40}\bword\s+for\s+word\b|\bword\s+for\s+word\b[^.?!]{0,30}\b(?:instructions|"
        r"prompt|rules|guidelines|setup)\b",
        r"\byou\s+are\s+now\s+(?!my\s+client\b)(?:a|an|my|the|in)?\s*\w+",
        r"\b(?:from\s+now\s+on|pretend)\s+you\s+(?:are|have|'re)\b(?![^.?!]{0,20}\bclient\b)",
        r"\bdeveloper\s+mode\b|\bjailbreak\w*\b|(?-i:\bDAN\b)",
        r"\byou\s+(?:have|follow)\s+no\s+(?:rules|restrictions|limits)\b",
        r"\b(?:stop\s+pretending|drop\s+the\s+act|you're\s+not\s+(?:really\s+)?a\s+supervisor)\b",
        r"\bas\s+an\s+ai\s+language\s+model\b",
        r"\byou(?:'re|\s+are)\s+(?:basically|really|actually)\s+a\s+(?:doctor|pharmacist|"
        r"lawyer|psychiatrist|dealer)\b",
        r"\bact\s+as\s+(?:a|an|my)\s+(?:doctor|pharmacist|lawyer|psychiatrist|dealer)\b",
    ),
}
# A trainee asking to practise with the supervisor playing the client is supervision, not a
# role break: the reply may then speak as the client.
ROLEPLAY_REQUEST = any_of(
    r"\b(?:play|be|act\s+as|pretend\s+to\s+be|role-?play)\s+(?:my|the|a)\s+client\b",
    r"\b(?:role-?play|practi[cs]e)\b[^.?!]{0,60}\bclient\b",
)


# "She said 'I want to end my life'": first-person words reported about someone else.
REPORTED_SPEECH = any_of(
    r"[\"“”]",
    rf"\b{PEOPLE}\s+(?:said|says|told\s+me|texted|wrote|messaged|keeps\s+saying)\b",
)


@dataclass(frozen=True)
class Detection:
    """A category found in a message, with what found it: the matched words, or the
    semantic layer's segment and score, or the LLM judge's reason."""

    category: Category
    evidence: str
    layer: str = "pattern"  # pattern | semantic | judge | context


# Words that frame a matched phrase as something other than a risk now or a request. A framed
# hit is dropped by the patterns only: the semantic layer still reads the whole message.
NEGATED = re.compile(r"\b(?:no|never|not|denies|denied|without|nor)\b(?:\W+\w+){0,3}\W*$", re.I)
# A negation inside the match that denies the risk itself ("has had no suicidal thoughts"), not
# one that is part of it ("not breathing", "does not see the point", "not be here anymore").
NEGATED_INSIDE = re.compile(
    r"\b(?:no|never)\s+(?:\w+\s+)?(?:suicidal|thoughts?|plans?|intent|ideation)\b", re.I
)
# A crisis told as history ("a decade ago she tried to end her life").
HISTORY = any_of(
    r"\b(?:\d+|a|one|two|three|four|five|six|seven|eight|nine|ten|twenty|thirty|many|several|"
    r"some|a\s+few)\s+(?:years?|decades?)\s+ago\b",
    r"\b(?:a|one|two|three)\s+decades?\b",
    r"\b(?:at|aged)\s+(?:\d{1,2}|nineteen|eighteen|seventeen|sixteen|fifteen|twenty)\b",
    r"\bas\s+a\s+(?:child|teenager|teen|kid|young\s+\w+|student)\b",
    r"\bwhen\s+(?:she|he|they|I)\s+(?:was|were)\s+(?:a\s+)?(?:small\s+|little\s+|young\s+)?"
    r"(?:child|kid|teenager|teen|girl|boy|\d{1,2}|young|student)\b",
    r"\bin\s+(?:the\s+)?(?:19|20)\d\d\b|\bin\s+the\s+(?:19|20)?\d0s\b",
    r"\b(?:years|decades)\s+ago\b",
)
# A habit told as history ("she used to buy mushrooms from a friend").
USED_TO = re.compile(r"\bused\s+to\b", re.I)
# Abuse told as history is still a risk when a child may be at risk now, so it frames only
# when the message also says nobody is (the abuser died; no child in contact) and says nothing
# of the abuser near children now.
NOBODY_AT_RISK_NOW = any_of(
    r"\b(?:died|dead|passed\s+away|deceased)\b",
    r"\b(?:no\s+one|nobody|no\s+children|no\s+child)\b[^.?!]{0,40}\b(?:at\s+risk|in\s+danger|"
    r"contact)\b",
)
CHILDREN_NEAR_NOW = any_of(
    r"\b(?:lives|living|stays|staying|moved\s+in)\s+with\b",
    r"\bbabysit\w*|\blooks?\s+after\b|\bcustody\b",
    r"\b(?:around|near|with|sees|visits)\s+(?:the|her|his|their|my)\s+(?:kids|children|"
    r"grandchildren|grandkids|niece|nephew|daughter|son)\b",
)
# A boundary crossing the trainee turned down ("a client asked me out. I declined").
DECLINED = any_of(
    r"\bI\s+(?:\w+\s+)?(?:declined|said\s+no|turned\s+(?:it|him|her|them)\s+down|refused)\b",
)
DECLINED_REACH = 80  # characters after the matched words, so "I declined" may follow it
GAVE_IN = re.compile(r"\b(?:but|then|later|eventually|at\s+first|anyway|until)\b", re.I)
# Impairment on a day without clients ("a bit hungover, but no clients, it's my writing day").
NO_CLIENTS_TODAY = any_of(
    r"\bno\s+(?:clients|sessions|participants)(?:\s+(?:today|tomorrow|this\s+(?:morning|"
    r"afternoon|evening|week)))?\s*(?:[,.;!]|$)",
    r"\bnot\s+seeing\s+(?:any\s+)?(?:clients|participants)\s+(?:today|tomorrow|this\s+"
    r"(?:morning|afternoon|evening|week))\b",
    r"\b(?:my|a)\s+(?:day|week)\s+off\b",
)
# A crisis in a hypothetical about answering one ("How should I respond if a client ever
# says 'I am going to kill myself'?").
HYPOTHETICAL = any_of(
    r"\b(?:if|when)\s+(?:a|my|the)\s+(?:\w+\s+)?(?:client|participant|patient|guest)\s+"
    r"(?:\w+\s+){0,5}?(?:ever\s+)?(?:says|tells|discloses|asks)\b",
)
# A request's words inside a question about how to answer a client's request, a refusal, a
# protocol's facts or a joke. A relayed request ("she asked how much ... I said I'd check with
# you") is still a request.
RESPONSE_SKILL = any_of(
    r"\b(?:what|how)\s+(?:do|should|would|can|could|might)\s+I\s+(?:best\s+)?(?:say|respond|"
    r"reply|answer|handle|phrase|word|redirect|approach|field)\b"
    # wording a document is no answer to a client ("how would I word the waiver")
    r"(?!\s+(?:the|a|an|my|our)\s+(?:\w+\s+)?(?:waivers?|contracts?|consent|forms?|agreements?|"
    r"disclaimers?|policy|ads?|adverts?|website|flyers?|listing))",
    r"\bhow\s+(?:to|best\s+to)\s+(?:respond|reply|answer|handle|redirect|field)\b",
    r"\bhow\s+(?:do|should|can|would)\s+I\s+(?:do|use|practi[sc]e)\s+MI\b",
    r"\b(?:what(?:'s|\s+is)|is\s+there)\s+a\s+(?:good|neutral|kind|better|warm|gentle)\s+(?:way|reply|"
    r"response|script)\b|\bhelp\s+me\s+(?:phrase|word)\b",
    r"\bwithout\s+(?:giving|sounding|offering)\b",
    r"\b(?:not|never)\s+(?:after|asking\s+for|giving|offering|looking\s+for)\s+(?:\w+\s+)?"
    r"(?:legal|medical)\s+advice\b",
    r"\bI\s+(?:don't|do\s+not|can't|cannot|won't|mustn't|must\s+not|never|obviously\s+won't)\s+"
    r"(?:want\s+to\s+)?(?:give|talk\s+about|answer|discuss|offer|help\s+with)\b",
    r"\bI\s+(?:said|told\s+(?:her|him|them))\s+(?:that\s+)?I\s+(?:can't|cannot|don't|won't)\b",
    r"\bI\s+know\s+I\s+(?:can't|cannot|mustn't|shouldn't)\b",
    r"\bI\s+(?:said|told\s+(?:her|him|them))\s+(?:that\s+)?(?:(?:it|that|this)\s+(?:isn't|is\s+not|"
    r"wasn't|was\s+not)|(?:it|that)'s\s+not)\s+something\s+I\b",
    r"\bI\s+(?:said|told\s+(?:her|him|them))\s+(?:that\s+)?(?:it's|that's|this\s+is|that\s+is|it\s+"
    r"was)\s+(?:one|a\s+question)\s+for\b",
    r"\bI(?:'m|\s+am|\s+was|\s+wasn't|\s+am\s+not|'m\s+not)\s+(?:not\s+)?in\s+(?:a|the)\s+"
    r"position\s+to\b",
)
CLIENT_ASKED = any_of(
    r"\b(?:when|if|whenever)\s+(?:a|my|the|our)\s+(?:\w+\s+)?(?:clients?|participants?|guests?)"
    r"\s+(?:\w+\s+){0,2}asks?\b",
    r"\b(?:clients?|participants?|guests?|people|she|he|they|someone)\s+(?:sometimes\s+|often\s+|"
    r"always\s+|usually\s+|keeps?\s+)?"
    r"(?:asks?|asked|asking)\s+(?:me\s+)?[^.?!]{0,25}?\b(?:where|how|what|whether|if|about)\b",
    r"\b(?:client|participant|guest)'s\s+question\s+about\b",
    r"\b(?:asks?|asked)\s+(?:me\s*)?,?\s*['\"“‘]",
)
RELAYED = any_of(
    r"\bI\s+(?:said|told\s+(?:her|him|them))\s+I'?d\s+(?:check|ask)\b",
    r"\bwhat\s+(?:should|do)\s+I\s+tell\s+(?:her|him|them)\b",
    r"\b(?:can|could|would)\s+you\s+(?:tell|give|outline|list|recommend|suggest)\b",
    r"\b(?:are|is)\s+there\s+(?:any\s+)?(?:online|places?|sites?|pharmac\w+|people|someone)\b",
    r"\b(?:didn't|did\s+not|don't|do\s+not)\s+know\s+(?:how\s+to\s+answer|what\s+to\s+tell)\b",
)
PROTOCOL_OR_JOKE = any_of(
    r"\b(?:our|the|this)\s+(?:trial(?:'s)?\s+|study(?:'s)?\s+)?protocol\b",
    r"\bjok(?:e|ed|es|ing)\b|\bkidding\b",
)
REQUESTS = ("dosing", "sourcing", "legal", "combination", "diagnosis")
TOLD_AS_HISTORY = ("crisis_self", "crisis_client", "medical_emergency")


def reported_speech(text: str) -> bool:
    return bool(REPORTED_SPEECH.search(text))


QUOTE_MARK = re.compile(r"[\"\u201c\u201d]")
REPORTED_BY = any_of(
    rf"\b{PEOPLE}\s+(?:said|says|told\s+me|texted|wrote|messaged|keeps\s+saying|left\s+"
    r"(?:me\s+)?a\s+(?:voicemail|message|note))\b",
    r"\b(?:text|message|voicemail|note|email|dm)\s+from\s+(?:my|a|the|our)\b",
)


def someone_elses_words(text: str, start: int, end: int) -> bool:
    """The words at ``start:end`` are someone else's: inside a quotation, or in a sentence that
    reports what a client said. A trainee's own aside in quotes elsewhere in the message ("i
    keep eyeing the tracks like 'hm. could.'") leaves a risk outside the quote theirs."""
    inside = len(QUOTE_MARK.findall(text, 0, start)) % 2 == 1
    sentence, _ = _sentence(text, start, end)
    return inside or bool(REPORTED_BY.search(sentence))


def _sentence_end(text: str, end: int) -> int:
    """Where the sentence holding ``end`` stops (its mark's index, or the text's length)."""
    return min(
        (i for i in (text.find(mark, end) for mark in ".!?\n") if i != -1), default=len(text)
    )


def _sentence(text: str, start: int, end: int) -> tuple[str, str]:
    """The sentence around a match, and its part before the match."""
    left = max(text.rfind(mark, 0, start) for mark in ".!?\n") + 1
    return text[left : _sentence_end(text, end)], text[left:start]


def _asks(text: str, end: int) -> bool:
    """The sentence holding ``end`` is a question."""
    stop = _sentence_end(text, end)
    return stop < len(text) and text[stop] == "?"


def framed(category: Category, text: str, match: re.Match[str]) -> bool:
    """The matched words are negated, told as history, or asked about as a skill."""
    sentence, before = _sentence(text, match.start(), match.end())
    if category in TOLD_AS_HISTORY:
        return bool(
            NEGATED.search(before)
            or NEGATED_INSIDE.search(match.group(0))
            or HISTORY.search(sentence)
            or (HYPOTHETICAL.search(sentence) and RESPONSE_SKILL.search(sentence))
        )
    if category == "abuse":
        return bool(
            HISTORY.search(sentence)
            and NOBODY_AT_RISK_NOW.search(text)
            and not CHILDREN_NEAR_NOW.search(text)
        )
    if category == "impaired_practice":
        return bool(NO_CLIENTS_TODAY.search(sentence))
    if category == "boundary":
        declined = DECLINED.search(text, match.start(), match.end() + DECLINED_REACH)
        rest = text[declined.end() : _sentence_end(text, declined.end())] if declined else ""
        return bool(declined) and not GAVE_IN.search(rest)
    told_as_past = bool(HISTORY.search(sentence) or USED_TO.search(sentence))
    if category == "sourcing" and told_as_past and not _asks(text, match.end()):
        return True
    if category not in REQUESTS or RELAYED.search(text):
        return False
    return bool(
        ROLEPLAY_REQUEST.search(sentence)
        or PROTOCOL_OR_JOKE.search(sentence)
        or RESPONSE_SKILL.search(sentence)
        or (CLIENT_ASKED.search(sentence) and RESPONSE_SKILL.search(text))
    )


def request_framed(text: str) -> bool:
    """The whole message reports a client's request with the trainee's refusal or a question
    about how to answer it: its request is not the trainee's own (a relayed one, "what should
    I tell her?", "I didn't know how to answer", still is). The semantic layer reads topic, so
    its request categories are dropped for such a message (crises never are)."""
    if RELAYED.search(text):
        return False
    return bool(CLIENT_ASKED.search(text) and RESPONSE_SKILL.search(text))


def detect_patterns(text: str) -> list[Detection]:
    """Every category the patterns find in ``text``, in priority order."""
    found: dict[Category, Detection] = {}
    spans: dict[Category, tuple[int, int]] = {}
    for category in CATEGORIES:
        for match in DETECTORS[category].finditer(text):
            if not framed(category, text, match):
                found[category] = Detection(category, match.group(0).strip())
                spans[category] = match.span()
                break
    if "crisis_self" in found and someone_elses_words(text, *spans["crisis_self"]):
        quoted = found.pop("crisis_self")
        found.setdefault("crisis_client", Detection("crisis_client", quoted.evidence))
    return sorted(found.values(), key=lambda d: CATEGORIES.index(d.category))


def asks_for_roleplay(message: str) -> bool:
    return bool(ROLEPLAY_REQUEST.search(message))
