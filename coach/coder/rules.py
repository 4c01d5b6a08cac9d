"""Rules for the MITI codes AnnoMI does not label: Affirm, Seeking Collaboration, Emphasizing
Autonomy, Confront and Persuade (with or without permission).

Each rule is a list of regular expressions over the lower-cased utterance. They favour
precision: a missed Affirm costs less than a false Confront in a trainee's feedback.
"""

from __future__ import annotations

import re

from coach.coder.codes import Miti


def _compile(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns))


AFFIRM = _compile(
    r"\b(that|it) (took|takes) (real )?(courage|guts|strength|honesty)",
    r"\byou('ve| have) (really )?(done|worked|made|shown|put|come|stuck|kept)\b.{0,40}"
    r"\b(hard|well|effort|progress|work|far|commitment|with it)",
    r"\byou (clearly|really|obviously|genuinely) (care|value|want|love)",
    r"\b(i|we) (really )?(appreciate|admire|respect)\b",
    r"\b(good|great|nice|excellent) (job|work|effort|point|idea|insight|question)\b",
    r"\bwell done\b",
    r"\bthat's (a )?(real )?(strength|huge step|big step|great step)",
    r"\byou should be proud\b",
    r"\bit's (clear|obvious) (that )?you (care|want|value)",
    r"\byou('re| are) (a )?(very |really )?(resourceful|determined|committed|strong|brave|"
    r"thoughtful|caring|honest|persistent|insightful)",
    r"\bi('m| am) (really )?(impressed|glad you|grateful)",
    # Added after the eleventh set's misses: effort named as the client's own.
    r"\byou (really )?stuck with it\b",
    r"\byou made (that|this|it) happen\b",
    r"\bwhat i see is (someone|a person) who\b",
    r"\bwith (real|such|great) care\b",
)
SEEK = _compile(
    r"\b(would|is) it (be )?(ok(ay)?|alright|all right) (with you )?(if|to)\b",
    r"\bmay i\b",
    r"\bcan i (share|offer|tell|suggest|give|mention)\b",
    r"(?<!what )(?<!how )\bwould you (like|want) me to\b",
    r"\bwould you be (open|willing|interested)\b",
    r"\bwhat (would|do) you (like|want) to (focus|talk|start|work)\b",
    r"\bhow would you like to\b",
    r"\bwhere would you like to\b",
    r"\blet's (think|figure|work|look|explore|see) (this |it )?(out )?together\b",
    r"\bwe could (explore|look|work)\b.*\bif you\b",
    r"\bwhat do you make of (that|this)\b",
    r"\bdoes that (fit|sound right|make sense to you|ring true)\b",
    r"\bhow does that (sound|fit|land)\b",
)
AUTONOMY = _compile(
    r"\b(it'?s|it is|that'?s|that is) (really |entirely |completely |totally )?"
    r"(up to you|your (choice|call|decision))",
    r"\byou('re| are) the (one|expert|best judge)\b",
    r"\byou (get to|can) (decide|choose)\b",
    r"\bonly you (can|know)\b",
    r"\bwhatever you (decide|choose)\b",
    r"\byou know (yourself|your (life|situation|client)) (best|better)",
    r"\bin (the end|your own time),? (it'?s|you)\b",
    r"\bno one can (make|force) you\b",
    r"\byou('re| are) (free|in charge|in control)\b",
)
CONFRONT = _compile(
    r"\byou('re| are) (just )?(in denial|making excuses|lying|kidding yourself|fooling)",
    r"\byou (need to|have to|must|should) (face|admit|accept) (the fact|that|it|reality)",
    r"\bthat'?s (just )?(not true|wrong|ridiculous|nonsense|an excuse)\b",
    r"\bwhy (can'?t|won'?t|don'?t) you (just )?(stop|listen|see|admit|get)",
    r"\byou('re| are) (an alcoholic|an addict|irresponsible|lazy|selfish)\b",
    r"\byou('re| are) wrong\b",
    r"\bhow many times (do|have) i\b",
    r"\byou (obviously|clearly) (don'?t|aren'?t|haven'?t)\b",
    r"\byou should know better\b",
    r"\bcome on,? (you|that)\b",
    # Moralising by comparison: "A good mom doesn't...", "Is that the kind of parent...".
    r"\b(a|any) good (mom|mum|mother|dad|father|parent|partner|husband|wife|friend) "
    r"(doesn'?t|does not|wouldn'?t|would never)\b",
    r"\b(is that|that'?s not) (really )?(the kind of|what a good|how a good) "
    r"(mom|mum|mother|dad|father|parent|partner|person|friend)\b",
    r"\bwhat kind of (mom|mum|mother|dad|father|parent|person|friend) (would|does)\b",
    # Added after the fourth set's misses (its Confront figure is development data since).
    r"\blisten to yourself\b",
    r"\bif (it|this|that|they|she|he) (really |truly )?mattered( to you)?,? you'?d\b",
    r"\brather than (actually|really) (dealing|facing|doing|looking)\b",
    # Added after the fifth set's misses (set 5 is development data since): "yes, but",
    # "that's still a lot", labelling, a broken agreement, loaded or sarcastic questions.
    r"^(?:yeah|yes|sure|okay|ok|mm|hmm|i hear you|i get (?:it|that)),? but "
    r"(?:it'?s|that'?s|isn'?t|still|why|you (?:said|told|keep|just))\b",
    r"\b(?:that'?s|it'?s) still (?:a lot|too (?:much|many)|quite a lot|pretty (?:much|heavy)|"
    r"(?:two|three|four|five|several) (?:nights|days|drinks|bottles|packs))\b",
    r"\bi'?m not sure (?:we should (?:be )?call(?:ing)? (?:that|it)|"
    r"how much that'?s (?:really )?changed|that'?s really (?:progress|true|the case))\b",
    r"\b(?:meet|meets|meeting) the (?:criteria|definition) (?:for|of)\b",
    r"\bthat'?s what (?:a lot of|most|many|all) [a-z ]{0,20}(?:say|tell themselves|think)\b",
    r"\b(?:tell|telling) themselves\b",
    r"\bwhat happened to (?:the|your|our) (?:plan|goal|agreement|promise|commitment)\b",
    r"\bi (?:thought|assumed) we'?d (?:agreed|decided|said)\b",
    r"^so,? (?:the |your )?[a-z' ]{1,40} (?:is|are|was) more important (?:to you )?than\b",
    r"\bwhy would you (?:even|ever)\b",
    r"\b(?:a )?good enough (?:reason|excuse) (?:to|for)\b",
    r"^again\?",
    r"\b(?:that'?s|it'?s) (?:kind of |sort of |pretty |really |a bit )?"
    r"hard to (?:ignore|argue with|deny)\b",
    r"\bthat'?s (?:kind of |sort of |basically |actually )?"
    r"(?:hurting|harming|selfish|irresponsible|reckless)\b",
    # Added after the tenth set's misses (set 10 is development data since): the stock
    # sarcastic challenges, and the client's own words turned against them.
    r"\bhow'?s that (?:working|going) (?:out )?for you\b",
    r"\bwhat (?:were|was) you thinking\b",
    r"\bwhat did you expect\b",
    r"\bby your own (?:account|admission)\b",
    r"\byou say that about (?:most|every|all|everything|anything)\b",
    # Added after the eleventh set's misses (set 11 is development data since): correcting the
    # client's word, irony, "I suspect you know", incredulous "really" questions, labels.
    r"\bis a (?:strong|big|funny|generous|interesting) word for\b",
    r"\b(?:is|are) doing a lot of (?:work|heavy lifting)\b",
    r"\b(?:i suspect|deep down) you (?:already )?know (?:that|it|this)\b",
    r"\bwhat happened to (?:all )?(?:that|the|your) (?:motivation|determination|enthusiasm|"
    r"resolve|drive|energy)\b",
    r"\bwouldn'?t you agree\b|\bwouldnt you agree\b",
    r"\bto play devil'?s advocate\b",
    r"\blet(?:ting)? yourself off the hook\b",
    r"^(?:maybe|perhaps)[.,]? or (?:maybe|perhaps) you\b",
    r"\bi (?:really |seriously )?doubt (?:that|it|you|this)\b",
    r"\byou'?re (?:just |really |totally )?(?:overthinking|overreacting|being dramatic|"
    r"being paranoid|being naive)\b",
    r"\b(?:do|did|are|were|would|can) you really (?:think|believe|expect|give|mean|that)\b",
    r"\bwhat does that say about (?:you|how)\b",
    r"\b(?:that'?s|it'?s) (?:kind of |sort of |just )?what happens when you\b",
    # Added after the thirteenth set's misses (set 13 is development data since): incredulous
    # statements asked back ("after one session you think you're ready ...?"), the exposing
    # contrast ("busy enough for X, but not Y?") and "says the person who".
    r"^(?:after|with|on|from|based on) [^?,]{3,50},? (?:and )?you (?:really )?(?:think|reckon|"
    r"believe) (?:you(?:'re| are| can| could)|that'?s|it'?s)\b[^?]*\?$",
    r"\benough (?:to|for) [^,?]{3,60},? but not\b",
    r"^says the (?:person|guy|woman|man|one|same person) (?:who|with|that)\b",
)
PERSUADE = _compile(
    r"\byou (really )?(should|must|need to|have to|ought to|'ve got to|gotta)\b",
    r"\b(i'?d|i would|i) (strongly )?(recommend|suggest|advise|urge)\b",
    r"\bthe (best|right|only) (thing|way|option) (is|would be)\b",
    r"\byou could (just )?(say|tell|try|ask)\b",
    r"\bwhy don'?t you\b",
    r"\bjust (do|call|tell|try|stop)\b",
    r"\bmake sure (you|to)\b",
    r"\bdon'?t (forget|let)\b",
    r"\bif i were you\b",
    r"\bhere (are|is) (some|a few|what)\b.*\b(tips|steps|advice|you should)\b",
    r"^(try|stop|start|tell|call|ask|remember|avoid|focus on|consider) ",
    r"^i'?d be (really |very )?careful (with|about)\b",
    # Added after the fifth set's misses: hedged direction ("you kind of need to").
    r"\byou (?:kind of|sort of|probably|definitely|honestly) "
    r"(?:should|need to|need a set|have to|ought to|gotta)\b",
    r"\botherwise it'?s (?:just |never |not )?(?:not )?going to happen\b",
    r"(?:^|[,.!] )(?:honestly,? |maybe |so )?you (?:might|may) want to "
    r"(?:just |really )?(?:try|take|start|stop|cut|get|talk|tell|call|look|consider|keep)\b",
    # Added after the thirteenth set's misses: a nudge put as what a thing would do to them.
    r"\b(?:might|could|would|will|may) (?:just |well |really )?change your mind\b",
    r"\b(?:a lot of|lots of|many|most) people swear by\b",
)
PERMISSION = _compile(
    SEEK.pattern,
    AUTONOMY.pattern,
    r"\bif (it|that) (fits|feels right|helps|works for you)\b",
    r"\bif you('d| would) like\b",
    r"\bsee what you think\b",
    r"\bwhat do you think\b",
    r"\btake (it|what fits) or leave it\b",
    # "Here is one thought, to take or leave: ..." hands the choice over as plainly
    r"\bto take or (to )?leave\b",
    r"\bif (it's|it is|that's|that is) (useful|helpful)\b",
    r"\byou might (find|consider)\b",
    r"\bsome people (find|have found)\b",
)
ASKS_FOR_ADVICE = _compile(
    r"\bwhat (should|do|can|could) (i|we) (do|say|try)\b",
    r"\bany (advice|suggestions|ideas|tips)\b",
    r"\b(tell|show) me (how|what)\b",
    r"\bcan you (help|suggest|recommend|tell)\b",
    r"^(yes|yeah|sure|ok|okay|please|go ahead)\b",
)

DOUBLE_SIDED = _compile(
    r"\bpart of you\b.*\b(another|other) part\b",
    r"\bpart of you\b.*\bpart of you\b",
    r"\bon (the )?one hand\b.*\bon the other\b",
)

RULES: tuple[tuple[Miti, re.Pattern[str]], ...] = (
    (Miti.AFFIRM, AFFIRM),
    (Miti.SEEKING_COLLABORATION, SEEK),
    (Miti.EMPHASIZING_AUTONOMY, AUTONOMY),
    (Miti.CONFRONT, CONFRONT),
)


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text.lower().replace("’", "'")).strip()


def relational_codes(text: str) -> list[Miti]:
    """Affirm, Seek, Autonomy and Confront found by rule in a counsellor utterance."""
    low = normalise(text)
    return [code for code, pattern in RULES if pattern.search(low)]


def persuasion(text: str, previous: str = "") -> Miti | None:
    """Persuade, or Persuade with Permission when permission is asked, granted or implied."""
    if not PERSUADE.search(normalise(text)):
        return None
    return Miti.PERSUADE_WITH_PERMISSION if permitted(text, previous) else Miti.PERSUADE


def permitted(text: str, previous: str = "") -> bool:
    """Advice is permitted when the counsellor asks or hands over choice, or the client
    has just asked for it."""
    return bool(PERMISSION.search(normalise(text)) or ASKS_FOR_ADVICE.search(normalise(previous)))


SENTENCE_END = re.compile(r"[.!?](?=\s|$)")
SENTENCE = re.compile(r"[^.!?]+[.!?]*")
REFLECTIVE_START = re.compile(
    r"^(so,? |and |but |it sounds|sounds like|it seems|seems like|you('re| are| feel| want| "
    r"think| don't| have| 've)|on (the )?one hand|part of you)"
)


def reflects_before_asking(text: str) -> bool:
    """A statement that opens like a reflection, followed by a question: "You're unsure you
    can keep it up. What has helped?" holds both codes."""
    sentences = [s.strip() for s in SENTENCE.findall(normalise(text)) if s.strip()]
    return (
        len(sentences) >= 2
        and sentences[-1].endswith("?")
        and any(REFLECTIVE_START.search(s) and not s.endswith("?") for s in sentences[:-1])
    )


QUESTION_START = re.compile(
    r"^(so,? |and |okay,? |ok,? )?(what|how|why|when|where|who|which|do|does|did|is|are|was|"
    r"were|have|has|had|can|could|would|will|should|may|might)\b"
)


def is_single_question(text: str) -> bool:
    """One sentence that opens and ends like a question. ("So you're stuck?" is excluded:
    MITI codes a reflection with a rising tone as a reflection.)"""
    low = normalise(text)
    return (
        low.endswith("?")
        and len(SENTENCE_END.findall(low)) == 1
        and bool(QUESTION_START.search(low))
    )
