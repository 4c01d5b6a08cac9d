"""The verified floor: a reply composed from parts that are coherent by construction.

When no candidate passes every check, the supervisor still answers this trainee about what
they said: a reflection built from their own words (the sentence that carries the most
feeling, with I and you exchanged) and a written open question that fits the message, never
one asked earlier in the session (``prompts/floor.yaml``). It never uses exemplar text.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from coach.llm.templates import OpenQuestion, load_prompt_file
from coach.supervisor.coherence.overlap import words
from coach.supervisor.moves import REPORTS_EFFORT, Move
from coach.supervisor.rewording import reworded

SWAP = {
    "i": "you",
    "me": "you",
    "my": "your",
    "mine": "yours",
    "myself": "yourself",
    "i'm": "you're",
    "i've": "you've",
    "i'd": "you'd",
    "i'll": "you'll",
    "im": "you're",
    "ive": "you've",
    "we": "you",
    "us": "you",
    "our": "your",
    "ours": "yours",
    "ourselves": "yourselves",
    "we're": "you're",
    "we've": "you've",
}
AFTER_I = {"am": "are", "was": "were", "wasn't": "weren't", "'m": "'re"}
FEELING = re.compile(
    r"\b(?:scared|afraid|anxious|froze|frozen|stuck|frustrat\w*|sad|guilt\w*|tired|exhaust\w*|"
    r"worr\w*|lost|overwhelm\w*|angry|hurt|asham\w*|doubt\w*|unsure|confus\w*|hopeless|"
    r"useless|dread\w*|numb|cr(?:y|ied|ying)|tears|nervous|embarrass\w*|disappoint\w*|"
    r"drained|burn\w* out|alone|fail\w*|badly|awkward|uncomfortable|annoy\w*|torn|hard|"
    r"heavy|weird|struggl\w*|can't|don't know|not sure|wish|impatien\w*|irritat\w*|cynical|"
    r"jealous|envious|insecure|inadequate|inferior|fake|fraud|helpless|powerless|"
    r"unsettled|shaky)\b",
    re.I,
)
# A quotation, for the words in it that are someone else's.
QUOTED = re.compile(r"(?<!\w)['\"\u2018\u201c][^'\"\u2019\u201d]*['\"\u2019\u201d](?!\w)")
# A sentence; a "?" or "!" that closes a quotation followed by more of the sentence
# ("I asked 'how was it?' and she laughed") does not end it.
SENTENCE = re.compile(r"(?:[^.!?\n]|[.!?]+['\"\u2019\u201d]+(?=\s+[a-z]))+[.!?]*['\"\u2019\u201d]?")
# Quote marks that open or close a quotation (not an apostrophe inside a word): a reflection
# cut from a quoted sentence would keep half of the pair.
_QUOTES = "'\u2018\u2019\"\u201c\u201d"
QUOTE = re.compile(rf"(?<![A-Za-z])[{_QUOTES}]|[{_QUOTES}](?![A-Za-z])")
# "Said 'it was a bad trip'": someone else's words, reported with no subject (the client's).
REPORTED = re.compile(
    r"^(?:said|says|told me|asked|wrote|texted)(?: that)?,?\s*[\"'\u2018\u201c]", re.I
)
# A sentence typed without its subject ("feel like I flattened it") is given one back.
SUBJECTLESS = re.compile(
    r"^(?:feel|felt|think|thought|wish|want|wanted|need|needed|hate|love|keep|kept|don't|"
    r"didn't|can't|couldn't|won't|dont|didnt|cant|couldnt|have|had|got|get|just|still|really|"
    r"kinda|kind of|sort of|"
    r"totally|honestly|literally|probably|also|tried|did|do|went|froze|said|asked|would|"
    r"could|should|might|love|'d)\b",
    re.I,
)
GERUND_OPENER = re.compile(
    r"^(?:working|trying|struggling|wondering|thinking|feeling|getting|running|starting|"
    r"hoping|learning|practising|practicing) ",
    re.I,
)
# "also you are not sure": an adverb before its subject, not a sentence missing one.
HAS_SUBJECT = re.compile(r"^\w+ (?:you|you're|she|she's|he|he's|they|they're|it|it's|we)\b")
NOT_SURE = re.compile(r"^(?:not|no longer|never|unsure|uncertain) ", re.I)
SECOND_PERSON = re.compile(r"\b(?:you|your|you're|yours)\b", re.I)
# One or more ("yeah, but I'm gone three weeks out of four": both go).
INTERJECTION = re.compile(
    r"^(?:(?:sorry|well|yeah|yes|no|oh|ok|okay|honestly|look|so|um|but|and)\b[,.]?\s+)+", re.I
)
FIRST_PERSON = re.compile(r"\b(?:I|I'm|I've|I'd|I'll|me|my|myself)\b")
# The trainee speaks of their own reaction ("I felt my stomach drop", "I caught myself").
OWN_REACTION = re.compile(
    r"\bI(?:'m| am| was| felt| feel| got| noticed I| caught myself| found myself| froze|"
    r" panicked| realised I| realized I)\b",
)
# A question about one moment of a session ("What did your client notice in you just then?")
# fits only a message that tells of one; after a conceptual question it points at nothing.
ABOUT_A_MOMENT = re.compile(
    r"\b(?:just then|right then|that moment|in the session|in the room|sounded there|"
    r"your client's response|before that moment|that reaction|that feeling)\b",
    re.I,
)
ASKS_ABOUT_CLIENT = re.compile(r"\byour client(?:'s)?\b", re.I)
NAMES_A_CLIENT = re.compile(
    r"\b(?:clients?|participants?|patients?|guests?|veterans?|members?|he|she|him|her|his|"
    r"he's|she's|hes|shes)\b",
    re.I,
)
ASKS_ABOUT_SESSION = re.compile(r"\b(?:the|your next|a) session\b", re.I)
NAMES_A_SESSION = re.compile(
    r"\b(?:sessions?|ceremon(?:y|ies)|infusions?|appointments?|sitting|journey|circle|group|"
    r"call|visit)\b",
    re.I,
)
REFERS_TO_REACTION = re.compile(r"\b(?:that|this) (?:reaction|feeling)\b", re.I)
REFERS_TO_MOMENT = re.compile(r"\b(?:just then|right then|that moment)\b", re.I)
TELLS_OF_A_MOMENT = re.compile(
    r"\b(?:today|yesterday|this morning|last (?:week|session|time|night)|in (?:the|our|a|that) "
    r"session|(?:I|she|he|they|we) (?:\w+ )?(?:said|asked|told|froze|cried|laughed|went|got|"
    r"started|stopped|snapped|jumped|reflected|changed|rushed|sat|looked|shrugged|nodded|felt|"
    r"noticed|panicked|teared|replied|answered))\b",
    re.I,
)
# Two sides the trainee is weighing ("I'm not sure whether to X or Y"): said back whole, it is
# met with a question about both sides rather than a stock one.
DILEMMA = re.compile(
    r"\b(?:not sure|unsure|don't know|do not know|can't decide|cannot decide|wonder(?:ing)?)"
    r",? (?:whether|if)\b[^.?!]*\bor\b|\btorn between\b|"
    r"\b(?:can't|cannot|can not|trying to|struggling to|how to) (?:decide|choose) between\b",
    re.I,
)
ACTION_DILEMMA = re.compile(
    r"\b(?:whether|if) (?:to|I should|I ought|I need to|I'd|we should)\b|\btorn between\b|"
    r"\b(?:decide|decided|deciding|choose|choosing|pick) between\b",
    re.I,
)
# "How would you decide between naming it and reflecting?": a choice between two actions.
BETWEEN = re.compile(
    r"\b(?:decide|deciding|choose|choosing|pick|torn) between\b[^.?!]*\b(?:and|or)\b", re.I
)
CLAUSE_JOIN = re.compile(r"(?:,\s+(?:and|but|so)\s+|;\s+|\s+and\s+(?=I\b))")


def dilemma_clause(sentence: str) -> str:
    """The clause that names the dilemma, when a sentence starts with something else ("She
    tracks it in a spreadsheet, and I'm not sure whether that's progress or the old
    pattern." -> "I'm not sure whether ...")."""
    found = DILEMMA.search(sentence)
    if not found:
        return sentence
    joins = [m.end() for m in CLAUSE_JOIN.finditer(sentence, 0, found.start())]
    return sentence[joins[-1] :] if joins else sentence


# A request for wording for a client's line the trainee quotes ("How would you reflect that?").
ASKS_FOR_WORDING = re.compile(
    r"\b(?:how (?:would|could|should|do|can|might) (?:you|I|one) (?:\w+ )?(?:reflect|respond|"
    r"answer|say back|word)|(?:give|write|suggest|show|offer) (?:me )?(?:\w+ ){0,3}"
    r"(?<!daily )(?:reflections?|wordings?|responses?|examples?|ways? to (?:reflect|respond))|"
    r"what (?:could|would|should|do|might) (?:I|you) (?:have )?(?:say|said)|"
    r"(?:example|sample) (?:reflection|response|wording))",
    re.I,
)
# A double-sided reflection asked for, and the two sides of the client's line it holds.
ASKS_DOUBLE_SIDED = re.compile(
    r"\b(?:give|write|suggest|show|offer|build|make|craft|help|example|how (?:would|could|do|"
    r"might|can|should))\b[^.?!]{0,60}\b(?:double|two)[- ]sided\b",
    re.I,
)
CONTRAST = re.compile(r",?\s+(?:but|though|although|yet|and yet)\s+|\s*;\s+", re.I)
# Where a line turns to its other side: a contrast, or "part of me ..., and part of me ...".
SIDES = re.compile(
    CONTRAST.pattern + r"|,?\s+and\s+(?=(?:the other |another )?part of (?:me|him|her)\b)|"
    # then and now: "I finally felt allowed to rest, and now I'm back at work ..."
    r",\s+and\s+(?=now\b)",
    re.I,
)
# The side that leans toward change: what the client should, wants or means to do.
CHANGE_SIDE = re.compile(
    r"\b(?:should|need to|needs to|want to|wants to|have to|has to|ought to|going to|gonna|"
    r"would like to|could|try|trying|cut (?:back|down)|stop|quit|wish)\b",
    re.I,
)
# Reflections asked for on a line the trainee quotes ("could you give me two or three
# complex ones", "what would a deeper one look like", "a couple of options"): a menu built
# from the client's words (added after reading set 19's read, where five such requests got a
# stock question or the line said back once with "It sounds like" in front).
# Not "a short daily reflection" (a journaling practice).
_REFLECTION = (
    r"(?<!daily )(?<!short )(?<!written )(?<!self-)\b(?:reflections?|reflect|reflecting)\b"
)
ASKS_FOR_REFLECTIONS = re.compile(
    rf"{_REFLECTION}[^.?!]*\b(?:give|write|show|draft|suggest|offer|options?|versions?|"
    r"levels?|examples?|deeper|further|beyond|look like|sound like|could (?:I )?have used)\b|"
    rf"\b(?:give|write|show|draft|suggest|offer|help)\b[^.?!]{{0,80}}{_REFLECTION}",
    re.I,
)
# "I want to do a double-sided reflection ... Could you give me two or three versions?"
ASKS_FOR_VERSIONS = re.compile(
    r"\b(?:give|write|show|draft|suggest|offer)\b[^.?!]{0,40}\b(?:versions|options|levels)\b",
    re.I,
)
MENTIONS_REFLECTION = re.compile(_REFLECTION, re.I)
SEVERAL = re.compile(
    r"\b(?:reflections|versions|options|levels|examples|a few|a couple|two|three|four|several)\b",
    re.I,
)
# "... isn't doing me any favours... but I'm not an alcoholic": one sentence, not two.
TRAILING_OFF = re.compile(r"\s*(?:\.{3}|\u2026)\s*(?=[a-z])")
# "I know I should call my sister": the wish the client already holds, said back on its own
# as a complex reflection that leans toward change ("Part of you already wants to ...").
WISH = re.compile(
    r"^(?:I know (?:that )?|I think |I reckon |honestly,? )?I (?:really )?(?:should|need to|"
    r"ought to|want to|have to|would like to|wish I could)\s+(?P<act>[^,;]{3,}?)"
    r"(?=,|;|\s+but\b|\s+though\b|\s+and\b|[.!?]|$)",
    re.I,
)
# "I felt my father's loneliness": a moment the client lived, carried on past the words.
LIVED = re.compile(
    r"^I (?:felt|saw|realised|realized|noticed|learned|learnt|understood|discovered|heard)\b",
    re.I,
)
# A quoted line that is a sentence of its own ("free in my body" is not one).
STARTS_WITH_SUBJECT = re.compile(
    r"^(?:I|I'm|I've|I'd|I'll|my|part of me|we|we're|it|it's|they|they'll|they're|there|"
    r"everyone|everybody|nobody|no one|the|this|that)\b",
    re.I,
)
# Where a lived moment's first clause ends ("I saw X and I wasn't there, and I felt relieved").
CLAUSE_END = re.compile(r",\s+(?:and|but|so)\s+|;\s+")
HER = re.compile(r"\b(?:she|her|hers|herself)\b", re.I)
HIM = re.compile(r"\b(?:he|him|his|himself)\b", re.I)

# An example summary asked for, and the client's strands the message lists ("she spoke about
# feeling closer to her kids, wanting to stop working weekends, and being scared ...").
ASKS_SUMMARY = re.compile(
    r"\b(?:show|write|give|draft|model|sketch|offer)\b[^.?!]{0,40}\bsummar(?:y|ies)\b|"
    r"\bwhat (?:a|an|my) (?:\w+ ){0,2}summary (?:might|would|could|should) (?:sound|look) like\b|"
    r"\b(?:example|sample) (?:\w+ ){0,2}summary\b",
    re.I,
)
SPOKE_OF = re.compile(
    r"\b(?:she|he|they|client|[A-Z][a-z]+) (?:has |have )?(?:spoke|spoken|talked|talks|speaks|"
    r"mentioned|brought up|described|covered) (?:about )?(?P<listed>[a-z][^.?!:;]{20,260})",
)
GERUND = re.compile(r"^(?:\w+ing|not \w+ing)\b")
THIRD_TO_SECOND = {
    "she": "you",
    "he": "you",
    "her": "your",
    "his": "your",
    "him": "you",
    "herself": "yourself",
    "himself": "yourself",
    "she's": "you're",
    "he's": "you're",
    "she'd": "you'd",
    "he'd": "you'd",
    "she'll": "you'll",
    "he'll": "you'll",
}
# "him" or an object "her" may be someone else the client spoke of ("visiting her mother and
# helping her"): such a list is not said back.
OBJECT_PRONOUN = re.compile(
    r"\b(?:him|them)\b|\bher\b(?=\s*(?:[,.;]|$|and\b|or\b|to\b|about\b|for\b|with\b|"
    r"every\b|again\b|more\b|less\b|back\b|up\b|out\b|off\b|down\b))",
    re.I,
)
# A verb agreeing with "she" ("she feels") would read "you feels": such a list is not said back.
THIRD_PERSON_VERB = re.compile(
    r"\b(?:she|he) (?!was\b|is\b|has\b)(?!\w+ed\b)\w+s\b|\b(?:she|he) (?:is|has)\b", re.I
)


def client_strands(message: str) -> str | None:
    """The strands the message says the client spoke about, as the client would hear them
    said back ("feeling closer to your kids, wanting to ..."), or None when they are not a list
    of what the client did or felt."""
    found = SPOKE_OF.search(message)
    if not found:
        return None
    listed = found.group("listed").strip().rstrip(",")
    items = [s.strip() for s in re.split(r",\s*(?:and\s+|or\s+)?|\s+and\s+(?=\w+ing\b)", listed)]
    if len(items) < 2 or not all(GERUND.match(i) for i in items if i):
        return None
    if THIRD_PERSON_VERB.search(listed) or FIRST_PERSON.search(listed):
        return None
    if OBJECT_PRONOUN.search(listed):  # "calling him every day": him may be someone else
        return None
    said = re.sub(
        r"\b(?:she's|he's|she'd|he'd|she'll|he'll|herself|himself|she|he|her|his|him)\b",
        lambda m: THIRD_TO_SECOND[m.group(0).lower()],
        listed,
        flags=re.I,
    )
    return re.sub(r"\byou was\b", "you were", said)


# The trainee's own words come next: "I said, ...", "I told her ...", "I reflected, ...".
TRAINEE_SAID = re.compile(
    r"\bI (?:said|told (?:her|him|them)|asked|replied|answered|responded|reflected|went with|"
    r"tried|offered|wrote)\b[^\"\u201c\u2018']{0,20}$",
    re.I,
)
QUOTED_LINE = re.compile(
    r"(?<!\w)[\"\u201c'\u2018]([^\"\u201d\u2019]{12,240}?)[\"\u201d'\u2019](?!\w)"
)
TOKEN = re.compile(r"[A-Za-z]+(?:'[a-z]+)?|[^A-Za-z\s]+|\s+")
MAX_REFLECTED_WORDS = 22
MAX_CLAUSE_WORDS = 30  # a clause may run this long to end at a comma, not mid-phrase
MIN_REFLECTED_WORDS = 4
MAX_MENU_WORDS = 70  # a menu of reflections fits one reply (Settings.max_reply_words)
RUN_ON_WORDS = 40  # a "question" this long is an account that ends in "you know?"
# Openers that a reflection leaves out: "I think I did badly" is reflected as "you did badly".
HEDGE = re.compile(
    r"^(?:(?:so(?! far\b| much\b| many\b| long\b)|and|but|because(?! of\b)|cause|cos|honestly|"
    r"basically|ok|okay|um|uh|ugh|idk|"
    r"lol|like|thanks|thank you|please|"
    r"right|well|yeah|yes|hmm|oh|"
    # an acknowledgement of the supervisor up to its comma ("Good point about X, I hadn't ...")
    r"(?:good|fair|great|helpful) (?:point|idea|question)[^,.;]{0,60},|that makes sense,|"
    r"fair enough,|"
    r"i mean|i think|i guess|i feel like(?! (?:a|an|the|such a|some kind of)\b)|i suppose|"
    r"to be honest|tbh|i'll be honest,?|turns out(?: that)?,?|"
    # not "I don't know yet what I want" (reading set 19: "So yet what you want ...")
    r"i (?:don't know|dunno)(?! (?:exactly |really |yet |quite |even )?(?:whether|if|how|what|"
    r"why|where|when|who)))"
    r"(?:,|\s*[\u2013\u2014-])?\s+)+",  # "Yes, please — show me" is asked after its dash
    re.I,
)
# "Can you just tell me what to say when ..." asks for "what to say when ...".
REQUEST = re.compile(
    r"^(?:so |and |but )?(?:can|could|would|will) you (?:please |just |maybe )*"
    r"(?:(?:tell|give|show|help) me(?: with)?|(?:recommend|suggest|share|offer)(?: me)?) (.+)$",
    re.I,
)
ASKED_AFTER_COLON = re.compile(r"^(?:how|what|whether|which|why)\b", re.I)
# What a request asks for is a thing ("a few open questions"), not a clause ("how to ...").
CLAUSE_ASKED = re.compile(r"^(?:how|what|when|where|why|who|which|whether|if)\b", re.I)
ANY = re.compile(r"^any(thing|one)?\b", re.I)  # "recommend anything" -> "like something"
# "2) Unrelated, can you ..." : a list number or an aside before the request.
ASIDE = re.compile(
    r"^(?:\d+[.)]\s*|(?:unrelated|also|last thing|quick one|last question),\s*)+", re.I
)


# How a request for a thing is said back: "show me a few ..." -> "You'd like to see a few ...".
WANTED = {"show": "to see ", "give": "", "tell": "to hear ", "walk": "to go "}
# A second instruction after the thing asked for ("..., and say briefly what each one is
# aiming at"): said back, it would be an order to the trainee.
SECOND_ASK = re.compile(
    r",? and (?:then )?(?:say|tell|explain|give|show|add|include|mark|note|list|keep)\b.*$", re.I
)
WANTS = re.compile(r"^you(?:'d| would) (?:like|love)\b|^you want (?:to|a|an|some)\b")
# "Tell me everything about reflections." asks as surely as a question does.
IMPERATIVE = re.compile(
    r"^(?:please |ok(?:ay)?,? |so,? )?(?P<verb>tell|give|show|explain(?: to)?|walk) me "
    r"(?P<asked>.+)$",
    re.I,
)


class SummaryParts(BaseModel):
    model_config = ConfigDict(extra="forbid")

    one: str
    two: str
    strength: str
    question: str


class SituatedQuestion(BaseModel):
    """A written question with the situation it fits, in a trainee's words (both are
    matched against the message)."""

    model_config = ConfigDict(extra="forbid")

    situation: str = Field(min_length=10)
    question: OpenQuestion


class MenuParts(BaseModel):
    """The wording of a menu of reflections on a client's quoted line (``Floor.menu``)."""

    model_config = ConfigDict(extra="forbid")

    leads: list[str] = Field(min_length=1)  # "{client}": her, him or your client
    close: str = Field(pattern=r"\{line\}")
    both: str = Field(pattern=r"\{line\}")
    further: str = Field(pattern=r"\{line\}")
    wish: str = Field(pattern=r"\{act\}")
    lived: str = Field(pattern=r"\{said\}")
    tip: str
    questions: list[OpenQuestion] = Field(min_length=1)


class RewordParts(BaseModel):
    """The wording of open versions of the questions a trainee quotes (``Floor.reworded``)."""

    model_config = ConfigDict(extra="forbid")

    lead: str
    pair: str = Field(pattern=r"\{closed\}[^{]*\{open\}")
    one: str = Field(pattern=r"\{closed\}[^{]*\{first\}[^{]*\{second\}")
    why: str
    why_not_why: str
    questions: list[OpenQuestion] = Field(min_length=1)


class FloorFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    description: str
    stems: list[str] = Field(min_length=1)
    wondering_stems: list[str] = Field(min_length=1)
    permission: list[str] = Field(min_length=1)
    permission_questions: list[str] = Field(min_length=1)
    dilemma_questions: list[OpenQuestion] = Field(min_length=1)
    reading_questions: list[OpenQuestion] = Field(min_length=1)
    affirm: str
    example_lead: str = Field(pattern=r"\{said\}")
    double_sided_lead: str = Field(pattern=r"\{first\}[^{]*\{last\}")
    double_sided_short_lead: str = Field(pattern=r"\{first\}[^{]*\{last\}")
    double_sided_questions: list[OpenQuestion] = Field(min_length=1)
    summary_example_lead: str = Field(pattern=r"\{listed\}")
    example_questions: list[OpenQuestion] = Field(min_length=1)
    menu: MenuParts
    reworded: RewordParts
    summary: SummaryParts
    questions: dict[str, list[str | SituatedQuestion]]


def swap_person(text: str) -> str:
    """The trainee's words as the supervisor would say them back: I -> you, my -> your.
    Quoted speech stays as it was said: in "she said 'I give up'" the I is the client's."""
    out, previous, quoted = [], "", False
    balanced = len(QUOTE.findall(text)) % 2 == 0
    tokens = TOKEN.findall(text)
    for index, token in enumerate(tokens):
        low = token.lower()
        if not quoted and low == "you":
            addressed = _supervisor_you(tokens, index)
            if addressed:
                out.append(addressed)
                previous = low
                continue
        if balanced and not token[:1].isalpha() and QUOTE.search(f" {token} "):
            quoted = not quoted if len(QUOTE.findall(f" {token} ")) % 2 else quoted
            out.append(token)
            continue
        if quoted:
            out.append(token)
            continue
        if low in SWAP:
            swapped = SWAP[low]
            out.append(swapped)
            previous = low
            continue
        if previous in ("i", "we") and low in AFTER_I:
            out.append(AFTER_I[low])
        else:
            out.append(token)
        if not token.isspace():
            previous = low
    return "".join(out)


# A "you" in the trainee's message that can only be the supervisor: said back, it is "I" or
# "me" (reading set 18: "the considerations you mentioned" came back as the trainee's own).
SUPERVISOR_SPOKE = frozenset(
    "mentioned said suggested asked offered described gave wrote listed explained raised "
    "recommended proposed shared".split()
)
SUPERVISOR_OBJECT = re.compile(r"(?:front of|thank|ask|tell|show) $", re.I)


def _supervisor_you(tokens: list[str], index: int) -> str:
    """ "I" or "me" when the "you" at ``index`` is the supervisor, else ""."""
    after = next((t.lower() for t in tokens[index + 1 :] if not t.isspace()), "")
    if after in SUPERVISOR_SPOKE:
        return "I"
    if SUPERVISOR_OBJECT.search("".join(tokens[max(0, index - 4) : index])):
        return "me"
    return ""


# Openers a sentence capitalises only because they start it.
COMMON_OPENERS = set(
    "a an the this that these those my our your his her their its it he she they we you "
    "there here what when where why how which who after before since during today yesterday "
    "last next then now so but and or if because although though while as in on at for with "
    "from to of by about one two three some many most every each all no not just also still "
    "client clients session sessions she's he's they're it's that's there's i'm i've "
    "honestly really maybe sometimes often usually is was are were am be can will".split()
)
# Words a cut phrase cannot end on ("you're ready to.", "the memory of the").
DANGLING = {
    "to",
    "of",
    "the",
    "a",
    "an",
    "and",
    "but",
    "or",
    "that",
    "for",
    "with",
    "about",
    "my",
    "your",
    "his",
    "her",
    "their",
    "our",
    "is",
    "was",
    "are",
    "were",
    "be",
    "so",
    "if",
    "because",
    "when",
    "like",
    "as",
    "from",
    "into",
    "than",
    "very",
    "really",
    "how",
    "what",
    "whether",
    "which",
    "who",
    "where",
    "why",
    "more",
    "most",
    # a quantifier whose noun was cut ("statements such.", "she has every.")
    "every",
    "each",
    "any",
    "some",
    "such",
    # a subject and its verb, whose complement was cut ("to help her grieve that it's.")
    "it's",
    "that's",
    "she's",
    "he's",
    "they're",
    "there's",
    # a verb of saying whose words were cut ("and stopped and said.")
    "said",
    "asked",
    "told",
    "saying",
    "says",
}


DANGLING_PAIRS = {"if it", "it were", "it was", "as if", "as though", "so that", "such as"}


def all_quoted(text: str) -> bool:
    """Whether the text is one quotation (someone else's words), apostrophes and all."""
    bare = text.strip(" .!?,;:")
    return len(bare) > 2 and bare[0] in _QUOTES and bare[-1] in _QUOTES


# A comparison cut before its second term ("the meaning she's making versus keeping."): the
# clause ends before it.
COMPARED = {"versus", "vs", "vs.", "than", "instead"}


LIKE_ENDS = {"sounds", "sound", "looks", "look", "feels", "feel", "seems", "is", "was"}


def _trim_dangling(kept: list[str]) -> list[str]:
    while len(kept) > 3:
        last = kept[-1].lower().strip(",;:")
        pair = " ".join(w.lower().strip(",;:") for w in kept[-2:])
        tail = [w.lower().strip(",;:") for w in kept[-2:]]
        if last == "like" and tail[0] in LIKE_ENDS:
            break  # "what the early edge of burnout sounds like" is whole (reading set 19)
        if last in DANGLING:
            kept.pop()
        elif pair in DANGLING_PAIRS or (tail[0] in COMPARED and len(kept) > 5):
            del kept[-2:]  # "as if it", or a comparison cut before its second term
        else:
            break
    return kept


def clause(sentence: str) -> str:
    """At most MAX_REFLECTED_WORDS words, cut at a comma or a conjunction where possible, and
    never ending on a word that needs another after it."""
    tokens = sentence.split()
    if len(tokens) <= MAX_REFLECTED_WORDS:
        return sentence
    head = " ".join(tokens[:MAX_REFLECTED_WORDS])
    # A dash opens an elaboration: the clause before it stands alone.
    dash = max(head.rfind(" \u2013 "), head.rfind(" \u2014 "), head.rfind(" - "))
    cut = dash if dash > len(head) // 3 else -1
    cut = cut if cut > 0 else max(head.rfind(","), head.rfind(" but "), head.rfind(" and "))
    if cut <= len(head) // 3:
        # No place to end within the limit: end at the next comma if it comes soon, rather
        # than mid-phrase ("from disappointment she has every.").
        longer = " ".join(tokens[:MAX_CLAUSE_WORDS])
        comma = longer.find(",", len(head) // 2)
        if comma > 0:
            return " ".join(_trim_dangling(longer[:comma].split()))
    return " ".join(_trim_dangling((head[:cut] if cut > len(head) // 3 else head).split()))


# Questions that turn into indirect speech cleanly ("how do I ..." -> "how to ...").
# Matched on the trainee's own words: "how do I", not "could you" (that asks the supervisor).
INDIRECT_CLEAN = re.compile(
    r"^(?:(?:how|what|when|where|who|which) (?:do|should|can|could|would) I |"
    r"(?:should|do) I (?!think|know|have)|(?:is|are) (?:it|this|that) )",
    re.I,
)
# "How would you decide between ...": asks the supervisor, and says back as "how to decide".
ASKS_HOW_YOU_WOULD = re.compile(
    r"^(?:how|when) (?:would|do|should|could) you (?:decide|choose|weigh|tell|know|judge)\b", re.I
)


def question_sentences(message: str) -> list[str]:
    """The message's questions of five words or more, a missing question mark restored."""
    parts = [as_question(p.strip()) for p in SENTENCE.findall(message)]
    return [p for p in parts if p.endswith("?") and len(p.split()) >= 5]


def says_back_cleanly(question: str) -> bool:
    """Whether a question can be said back whole as what the trainee wants or wonders:
    short enough not to be cut, asking for a thing or in a form indirect speech keeps."""
    body = ASIDE.sub("", _body(question))
    if len(question.split()) > MAX_REFLECTED_WORDS or QUOTE.search(body):
        return False
    if REQUEST.match(body) or IMPERATIVE.match(body):
        return True
    if ASKS_HOW_YOU_WOULD.match(body):  # its "you" is the supervisor's, said back as "to"
        rest = ASKS_HOW_YOU_WOULD.sub("", body)
        return not SECOND_PERSON.search(rest) and not re.search(r"\bI have (?:done|said)\b", rest)
    return (  # _body has dropped an opening "so", "and" or "ok"
        bool(INDIRECT_CLEAN.match(body))
        and not re.search(r" or |, and |\bI have (?:done|said)\b", body)
        and not SECOND_PERSON.search(body)
    )


# The trainee tells what they already tried or said in the session.
TOLD_WHAT_TRIED = re.compile(
    r"\bI (?:tried|said|asked|reflected|suggested|told|did|used|went with|offered|kept)\b|"
    r"\bI've (?:tried|been trying)\b",
    re.I,
)
# A question typed without its mark ("Do I reach out or leave him be.", "how do i stop ...").
UNMARKED_QUESTION = re.compile(
    r"^(?:(?:how|what|when|where|why|who|which) (?:do|does|did|should|can|could|would|is|are)|"
    r"(?:do|does|should|can|could|would|is|am|are) (?:I|i|we|you|it|this|that|there))\b",
    re.I,
)


def as_question(sentence: str) -> str:
    """The sentence, with its question mark back when it asks without one."""
    bare = sentence.rstrip(" .")
    if not bare.endswith("?") and UNMARKED_QUESTION.match(bare):
        return bare + "?"
    return sentence


DOUBLE_QUOTE = re.compile(r"[\"\u201c\u201d]")
# A double-quoted stretch, apostrophes and all ("I'm a fraud, I told everyone I'd beaten it").
DOUBLE_QUOTED = re.compile(r"\"[^\"]*\"|\u201c[^\u201d]*\u201d")


def _inside_quote(text: str, position: int) -> bool:
    """Whether ``position`` falls inside a double-quoted stretch of ``text``."""
    return len(DOUBLE_QUOTE.findall(text, 0, position)) % 2 == 1


# A sentence put to the supervisor ("Please explain without poetry.", "Step by step would be
# great."): said back, it is a request, not something the trainee told.
ASKS_SUPERVISOR = re.compile(
    r"^(?:please|explain|tell me|give me|show me|help me|step by step|an example|examples?|"
    r"here'?s|here is)\b",
    re.I,
)
SUBJECT = re.compile(
    r"\b(?:I|I'm|I've|I'd|I'll|i|im|ive|we|we're|you|you're|she|she's|he|he's|they|they're|it|"
    r"it's|there|there's|that's|this|my|our)\b",
)
INTRODUCES = re.compile(r"^[A-Z][a-z]+(?: [A-Z][a-z]+)?,? \(?\d{1,2}\b")


# "Okay, I can live with that." / "That's fair, I think the joke is doing a job": a nod to
# the supervisor's last reply. Not "yes" or "right": "Yes, I think it is grief" is the point.
ACKNOWLEDGES = re.compile(
    r"^(?:ok|okay|fair enough|good point|makes sense|got it|thanks|thank you|that helps|"
    r"that makes sense|that(?:'s| is) (?:fair|helpful|useful|a good point|a fair point|"
    r"really helpful))\s*[,.!]",
    re.I,
)


# 'next visit: "but the crew is my family." i keep ending up arguing the leave side': typed in
# lower case, the quotation does not end the sentence, and the trainee's own words follow it.
LABELLED_QUOTE = re.compile(
    r"^[^\"\u201c:]{0,40}:\s*[\"\u201c][^\"\u201d]{8,}[\"\u201d]\s+(?P<rest>[a-z]\S*(?:\s+\S+){2,})$"
)


def _after_labelled_quote(sentence: str) -> str:
    """A sentence that opens with a labelled quotation, without it (reading set 21: the
    client's "but the crew is my family" was said back as the trainee's)."""
    found = LABELLED_QUOTE.match(sentence)
    return found.group("rest") if found else sentence


def salient_sentences(message: str, prefer: re.Pattern[str] | None = None) -> list[str]:
    """The message's statements, the one that carries the most feeling first (the first that
    ``prefer`` matches, when one does; the later one on a tie)."""
    found = [m for m in SENTENCE.finditer(message) if len(m.group(0).split()) >= 3]
    parts = [as_question(_after_labelled_quote(m.group(0).strip())) for m in found]
    if not parts:
        return [message.strip()]
    # A sentence that starts inside a quotation ('he said "I'm handing in my notice. I can't
    # spend another day ..."') is someone else's words: said back, it would be the trainee's.
    quoted = {as_question(m.group(0).strip()) for m in found if _inside_quote(message, m.start())}
    statements = (
        [p for p in parts if not p.endswith("?") and p not in quoted]
        or [p for p in parts if not p.endswith("?")]
        or parts
    )
    # "Which was the actual thing." only makes sense after the sentence before it, and a
    # sentence that is all quotation is someone else's words, not the trainee's.
    statements = [
        p
        for p in statements
        if not p.lower().startswith("which ")
        and not REPORTED.match(p)
        and QUOTED.sub("", p).strip(" .!?,") != ""
        and not all_quoted(p)
        and not (
            ": " in p and len(p.split(": ")[0].split()) <= 6 and all_quoted(p.split(": ", 1)[1])
        )
    ] or statements

    def weight(p: str) -> tuple[int, int]:
        # A sentence that speaks to the supervisor ("can you tell me") reflects badly: its
        # "you" is the supervisor, and swapping I and you garbles it. A "you" inside a
        # quotation is someone else's words, and is kept as said.
        # Feeling and "I" count outside quotations only: in 'she said she was "just as scared
        # as I was"' they are the client's (reading set 15: that sentence beat the trainee's
        # own "I get a bit impatient").
        own = QUOTED.sub("", DOUBLE_QUOTED.sub("", p))
        addressed = bool(SECOND_PERSON.search(QUOTED.sub("", p)) or ASKS_SUPERVISOR.match(p))
        # Said back last: someone's words quoted at length (they would not be the trainee's);
        # an introduction ("Raj, 36, is in a ketamine series"), a fact rather than their point;
        # a fragment with no subject to say back ("bought shoes, still in the box").
        secondhand = (
            any(len(q.split()) >= 3 for q in DOUBLE_QUOTED.findall(p))
            or bool(INTRODUCES.match(p))
            or not SUBJECT.search(own)
        )
        # A nod to the supervisor's last reply ("That's fair, I think the joke is doing a job
        # for him") is not what the trainee brings next (reading set 19: later turns were
        # answered about the earlier topic).
        nod = 2 * bool(ACKNOWLEDGES.match(p))
        return (
            len(FEELING.findall(own))
            + (" i " in f" {own.lower()} ")
            - 2 * addressed
            - secondhand
            - nod,
            parts.index(p),
        )

    ranked = sorted(statements, key=weight, reverse=True)
    preferred = [p for p in statements if prefer and prefer.search(p)][:1]
    return list(dict.fromkeys([*preferred, *ranked]))


def salient_sentence(message: str, prefer: re.Pattern[str] | None = None) -> str:
    """The sentence that carries the most feeling (see ``salient_sentences``)."""
    return salient_sentences(message, prefer)[0]


def _body(sentence: str) -> str:
    """The part of a sentence a reflection says back: no hedging opener, no half of a
    quotation, at most MAX_REFLECTED_WORDS words."""
    body = clause(sentence.rstrip(".!? "))
    marks = list(QUOTE.finditer(body))
    if len(marks) % 2:  # a cut left half a quotation: end before it, or drop its marks
        before = _trim_dangling(body[: marks[-1].start()].split())
        body = " ".join(before) if len(before) >= MIN_REFLECTED_WORDS else QUOTE.sub("", body)
    body = " ".join(body.split()).strip(" ,;:-\u2013\u2014")
    body = re.sub(r"^\d+[.)]\s*", "", body)  # "1) you never know when": a list number
    return HEDGE.sub("", body) or body or sentence


def _name_like(word: str, text: str) -> bool:
    """A first word that is a name ("Noor, 35, said ...", or capitalised again later in the
    text): it keeps its capital when the reflection lower-cases its opening."""
    bare = word.strip(",.;:!?'\"")
    if not bare[:1].isupper() or bare.lower() in COMMON_OPENERS or SUBJECTLESS.match(bare):
        return False
    aged = re.match(rf"{re.escape(bare)},? \(?\d{{1,2}}\b", text)
    again = re.search(rf"(?<![.!?]\s)(?<=\s){re.escape(bare)}\b", text[len(bare) :])
    return bool(aged or again)


# "You're noticing that you're not sure ..." says the doubt twice.
UNSURE_SAID = re.compile(
    r"^you(?:'re| are) (?:not sure|unsure|wondering)|^you (?:don't|do not) know"
)
# "I don't know if I should call" said back as "if you should call" reads as advice to call,
# and so does "something you should raise": said back as "whether to call", "something to raise".
IF_I_SHOULD = re.compile(r"\b(?:whether|if) I should\b")
RELATIVE_SHOULD = re.compile(
    r"\b(something|anything|everything|things|the thing|someone|what|how) I should\b(?! have)",
    re.I,
)


def _spoken(body: str) -> str:
    """The body with I and you exchanged, and a subject where the trainee left it out."""
    said = swap_person(RELATIVE_SHOULD.sub(r"\1 to", IF_I_SHOULD.sub("whether to", body)))
    first = said.split(maxsplit=1)[0] if said.strip() else ""
    acronym = len(first) > 1 and first.isupper()  # "MI on the other hand": not "mI"
    if said[:2] not in ("I ", "I'") and not _name_like(first, body) and not acronym:
        said = said[0].lower() + said[1:]
    if NOT_SURE.match(said):
        return "you're " + said
    if said.startswith("feels like "):  # "feels like im failing her": it, not you, feels
        return "it " + said
    if GERUND_OPENER.match(said):  # "working on discrepancy and not sure": you're working
        return "you're " + said
    if SUBJECTLESS.match(said) and not HAS_SUBJECT.match(said):
        return "you " + said
    return said


def _ordered(sides: Sequence[str], spoken: Sequence[str]) -> tuple[str, str]:
    """Two sides said back, the one leaning toward change last (with both or neither
    leaning, the order as said), the first capitalised."""
    changes = [bool(CHANGE_SIDE.search(s)) for s in sides]
    first, last = (spoken[1], spoken[0]) if changes == [True, False] else spoken
    return _capital(first), last


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _first_sentence(line: str) -> str:
    """A quoted line's first sentence of four words or more, without its end mark; the hedge
    stays ("I feel like ...") since it is the client's."""
    first = next((p for p in SENTENCE.findall(line) if len(p.split()) >= 4), line)
    return first.strip().rstrip(".!? ")


def _asks_for_wording(message: str) -> bool:
    """Whether the message asks for wording: a response, reflections, or versions of one."""
    if ASKS_FOR_VERSIONS.search(message) and MENTIONS_REFLECTION.search(message):
        return True
    return any(
        p.search(message) for p in (ASKS_FOR_WORDING, ASKS_FOR_REFLECTIONS, ASKS_DOUBLE_SIDED)
    )


def client_lines(message: str) -> list[str]:
    """The client's own statements about themself that the message quotes: not a question,
    not words to the therapist ("you sound like my mother"), whose persons a swap would
    garble, and not the trainee's own words ('I said, "I'll try to do less of that"'). A
    quotation that ends in a question keeps the statements before it ('"I thought it was
    done. ... So was it fake?"')."""
    lines = []
    for found in QUOTED_LINE.finditer(message):
        if TRAINEE_SAID.search(message[max(0, found.start() - 40) : found.start()]):
            continue
        q = found.group(1).strip()
        if q.rstrip(" .!").endswith("?"):
            told = [p.strip() for p in SENTENCE.findall(q) if not p.strip().endswith("?")]
            q = " ".join(told)
        if len(q.split()) >= 4 and FIRST_PERSON.search(q) and not SECOND_PERSON.search(q):
            lines.append(INTERJECTION.sub("", q))
    return lines


def said_back(message: str) -> str:
    """The message's most salient statement in the supervisor's words, lower-cased."""
    return _spoken(_body(salient_sentence(message)))


def reflect_words(
    message: str,
    stems: Sequence[str],
    wondering: Sequence[str],
    prefer: re.Pattern[str] | None = None,
    sentence: str | None = None,
) -> str:
    """A reflection of ``sentence`` (by default the message's most salient one)."""
    sentence = sentence or salient_sentence(message, prefer)
    pick = zlib.crc32(message.encode()) % 997
    body = _body(sentence)
    lead, colon, rest = body.rpartition(": ")
    # "General question first: when ..." asks what follows the colon; "I worry about two
    # mistakes: translating ..." lists them, and the list alone has no verb.
    listed = rest.split(maxsplit=1)[0].lower().endswith("ing") if rest.strip() else False
    quoted_only = all_quoted(rest)  # someone else's words
    if (
        colon
        and len(rest.split()) >= MIN_REFLECTED_WORDS
        and len(lead.split()) <= 6
        and not listed
        and not quoted_only
    ):
        body = rest
        if ASKED_AFTER_COLON.match(body):  # "I'd like advice: how to ..." asks, it tells nothing
            asked = swap_person(body[0].lower() + body[1:])
            return wondering[pick % len(wondering)].format(asked=asked)
    imperative = IMPERATIVE.match(body)
    if imperative:
        asked = swap_person(SECOND_ASK.sub("", imperative["asked"]))
        verb = imperative["verb"].lower()
        if not CLAUSE_ASKED.match(asked) and verb in WANTED:  # "show me a few ..." asks a thing
            return "You'd like " + WANTED[verb] + ANY.sub(r"some\1", asked) + "."
        return wondering[pick % len(wondering)].format(asked=asked)
    if sentence.endswith("?"):
        body = ASIDE.sub("", body)
        request = REQUEST.match(body)
        asked = swap_person(request.group(1)) if request else _indirect(swap_person(body))
        # a run-on account that happens to end in "you know?" is said back as a statement
        if not (asked.startswith(NOT_ASKED) and len(sentence.split()) > RUN_ON_WORDS):
            if request and not CLAUSE_ASKED.match(asked):
                asked = SECOND_ASK.sub("", asked)
                helped = re.search(r"\bhelp me (with )?", body, re.I)
                wanted = ("help " + ("with " if helped.group(1) else "to ")) if helped else ""
                return "You'd like " + wanted + ANY.sub(r"some\1", asked) + "."
            return wondering[pick % len(wondering)].format(asked=asked)
    said = _spoken(body)
    stem = stems[pick % len(stems)]
    # "You're noticing that you're not sure ..." says it twice; "You're noticing that you'd
    # like ..." notices a wish
    if (UNSURE_SAID.match(said) or WANTS.match(said)) and stem.startswith("You're noticing"):
        stem = stems[0]
    return _closed(stem.format(said=said))


def _closed(text: str) -> str:
    """One full stop: 'she said "I'm done."' closes the stem's sentence too."""
    return re.sub(r"([.!?][\"'\u201d\u2019])\.$", r"\1", text)


NOT_ASKED = "about this: "  # _indirect's mark for a question with no question form


def _indirect(question: str) -> str:
    """'how do you reach her' -> 'how to reach her'; 'should you call' -> 'whether to call'."""
    q = question[0].lower() + question[1:]
    q = re.sub(r"^(?:so |and |but )", "", q)
    q = re.sub(
        r"^(how|what|when|where|who|which) (?:would|could|do|can) you (?:suggest|recommend|"
        r"advise)(?: that)? you ",
        r"\1 to ",
        q,
    )
    q = re.sub(r"^(how|what|when|where|who|which) (?:do|should|can|could|would) you ", r"\1 to ", q)
    q = re.sub(r"^(?:should|can|could|would|do) you ", "whether to ", q)
    q = re.sub(r"^(?:is|are) (it|this|that) ", r"whether \1 is ", q)
    # "is there a way to X or should I just Y" (set 15: said back as "that is there a way")
    q = re.sub(r"^(is|are) there ", lambda m: f"whether there {m.group(1)} ", q)
    if q.startswith("whether "):
        q = re.sub(r" or (?:should|can|could|do) you ", " or whether to ", q)
    if not re.match(r"^(?:how|what|when|where|why|who|which|whether)\b", q):
        q = NOT_ASKED + q
    return q


class Floor:
    """Composes floor replies; embeds its questions once."""

    def __init__(self, path: Path) -> None:
        from coach.knowledge.embeddings import get_embeddings

        self.data = load_prompt_file(path, FloorFile)
        self.embedder = get_embeddings()
        self.texts: dict[str, list[str]] = {}
        self.vectors: dict[str, np.ndarray] = {}
        for group, entries in self.data.questions.items():
            texts = [e if isinstance(e, str) else e.question for e in entries]
            vectors = self.embedder.encode(texts)
            for i, e in enumerate(entries):
                if isinstance(e, SituatedQuestion):
                    mean = vectors[i] + self.embedder.encode([e.situation])[0]
                    vectors[i] = mean / np.linalg.norm(mean)
            self.texts[group], self.vectors[group] = texts, vectors

    def groups_for(self, message: str, focus: str) -> list[str]:
        """Where the question may come from: the message's focus, the trainee's own
        reaction when they speak of one, and the open questions."""
        groups = [focus if focus in self.texts else "open"]
        if "reaction" in self.texts and OWN_REACTION.search(message):
            groups.append("reaction")
        return list(dict.fromkeys([*groups, "open"]))

    def question(self, message: str, focus: str, asked: Sequence[str] = ()) -> str:
        """The written question nearest the message (see ``questions``)."""
        return self.questions(message, focus, asked, 1)[0]

    def questions(
        self, message: str, focus: str, asked: Sequence[str] = (), count: int = 1
    ) -> list[str]:
        """The ``count`` written questions nearest the message (the whole message or its most
        salient sentence) among the groups that fit it, that the session has not heard yet;
        then any unheard question when those run out."""
        seen = {" ".join(words(a)) for a in asked}
        views = self.embedder.encode([message, salient_sentence(message)])

        moment = bool(TELLS_OF_A_MOMENT.search(message))
        # "that reaction" and "just then" point back at the sentence the reflection says back:
        # it must tell of a reaction or a moment (added after reading set 13's read, where "What
        # do you make of that reaction in yourself now?" followed a request for practices).
        said = salient_sentence(message)
        reacts = bool(OWN_REACTION.search(said) or FEELING.search(said))
        told = bool(TELLS_OF_A_MOMENT.search(said))

        # A question about "your client" needs a client in the message, and one about "the
        # session" a session (added after reading set 14's read: "What small step might feel
        # possible to your client this week?" to a trainee weighing their own choices).
        clients = bool(NAMES_A_CLIENT.search(message))
        sessions = bool(NAMES_A_SESSION.search(message))

        def unheard(text: str) -> bool:
            if not moment and ABOUT_A_MOMENT.search(text):
                return False
            if ASKS_ABOUT_CLIENT.search(text) and not clients:
                return False
            if ASKS_ABOUT_SESSION.search(text) and not sessions:
                return False
            if REFERS_TO_REACTION.search(text) and not reacts:
                return False
            if REFERS_TO_MOMENT.search(text) and not told:
                return False
            return not any(" ".join(words(text)) in s for s in seen)

        found: list[str] = []
        groups = self.groups_for(message, focus)
        for pool in (groups, [g for g in self.texts if g not in groups]):
            options = [(g, i) for g in pool for i in range(len(self.texts[g]))]
            if not options:
                continue
            matrix = np.array([self.vectors[g][i] for g, i in options])
            scores = (views @ matrix.T).max(axis=0)
            for k in np.argsort(-scores):
                g, i = options[k]
                if unheard(self.texts[g][i]) and self.texts[g][i] not in found:
                    found.append(self.texts[g][i])
                    if len(found) == count:
                        return found
        return found or [self.texts["open"][0]]

    @staticmethod
    def unasked(options: Sequence[str], earlier: Sequence[str]) -> str:
        return Floor.unasked_all(options, earlier)[0]

    def summary(self, trainee_messages: Sequence[str]) -> str:
        """A closing summary from the trainee's own words: where the session started, where
        it came to, a strength, and the next step handed back."""
        parts = self.data.summary
        statements = [m for m in trainee_messages if not m.rstrip().endswith("?")] or list(
            trainee_messages
        )
        first = said_back(statements[0])
        opening = (
            parts.one.format(first=first)
            if len(statements) == 1
            else parts.two.format(first=first, last=said_back(statements[-1]))
        )
        return f"{opening} {parts.strength} {parts.question}"

    def reply(self, message: str, move: Move, focus: str, earlier: Sequence[str] = ()) -> str:
        return self.replies(message, move, focus, earlier, 1)[0]

    def replies(
        self, message: str, move: Move, focus: str, earlier: Sequence[str] = (), count: int = 1
    ) -> list[str]:
        """Up to ``count`` compositions for the move, the preferred one first: the most
        salient statement said back with the nearest question; then the next statements
        said back, then the next questions. The turn shows the first that passes its checks,
        so a composition that fails one is composed again, not handed to the model."""
        if len(_body(salient_sentence(message)).split()) < MIN_REFLECTED_WORDS:
            # "hello there", "ok": nothing to say back, so only an open question.
            return self.questions(message, "open", earlier, count)
        example = self.example(message, earlier)
        # An affirmation follows the sentence that tells of the effort it affirms; otherwise
        # a dilemma the trainee names is what they brought.
        prefer = REPORTS_EFFORT if move == "affirm_question" else DILEMMA
        sentences = [
            s
            for s in salient_sentences(message, prefer)
            if len(_body(s).split()) >= MIN_REFLECTED_WORDS
        ][:3] or [salient_sentence(message, prefer)]
        dilemma = prefer is DILEMMA and bool(DILEMMA.search(sentences[0]))
        if dilemma:
            sentences[0] = dilemma_clause(sentences[0])
        elif move != "affirm_question" and not FEELING.search(sentences[0]):
            # The best statement is a plain fact ("you do integration work at a retreat"):
            # the trainee's own question is more their point, when it can be said back whole.
            asked = [q for q in question_sentences(message) if says_back_cleanly(q)]
            # a choice the trainee asks how to make is the one they brought
            choice = [q for q in asked if BETWEEN.search(q)]
            sentences = list(dict.fromkeys([*(choice or asked[-1:]), *sentences]))
            dilemma = bool(choice)
        reflections = [
            reflect_words(message, self.data.stems, self.data.wondering_stems, prefer, s)
            for s in sentences
        ]
        if move == "permission":
            offer = self.unasked(self.data.permission, earlier)
            asks = self.unasked_all(self.data.permission_questions, earlier)
            if TOLD_WHAT_TRIED.search(message):  # they said what they tried: not asked again
                asks = [a for a in asks if "tried" not in a] or asks
            pairs = [(r, asks[0]) for r in reflections] + [(reflections[0], a) for a in asks[1:]]
            texts = [f"{r} {offer} {a}" for r, a in pairs]
        else:
            questions = self.questions(message, focus, earlier, 3)
            if dilemma and (" or " in reflections[0] or BETWEEN.search(reflections[0])):
                # both sides survived the cut
                # "whether to call or wait" is a choice; "if I pushed too hard or it's him
                # processing" asks what is going on.
                choice = ACTION_DILEMMA.search(sentences[0])
                options = self.data.dilemma_questions if choice else self.data.reading_questions
                both = self.unasked_all(options, earlier)
                pairs = [(reflections[0], q) for q in both[:2]]  # both sides, then as usual
            else:
                pairs = []
            pairs += [(r, questions[0]) for r in reflections]
            pairs += [(reflections[0], q) for q in questions[1:]]
            affirm = f" {self.data.affirm}" if move == "affirm_question" else ""
            texts = [f"{r}{affirm} {q}" for r, q in pairs]
        return list(dict.fromkeys([*example, *texts]))[:count]

    def example(self, message: str, earlier: Sequence[str] = ()) -> list[str]:
        """Asked how to reflect a client's line the trainee quotes: that line said back to the
        client, as wording to take or leave, and a question that hands the next step back
        (none when the message asks for no wording or quotes no line). Asked for reflections
        on it, a menu of them when more than one can be built."""
        if summary := self.summary_example(message):
            return [summary]
        if opened := self.reworded(message, earlier):
            return [opened]
        if not _asks_for_wording(message):
            return []
        lines = client_lines(message)
        if not lines:
            return []
        # One double-sided reflection asked for: it, with why its sides run as they do.
        one = ASKS_DOUBLE_SIDED.search(message) and not SEVERAL.search(message)
        if not one and (menu := self.menu(message, lines, earlier)):
            return [menu]
        line = max(lines, key=lambda q: len(q.split()))
        if line.lower().startswith("to "):  # "to stop feeling like ...": no clause to say back
            return []
        # Both sides held, when the line has them, before the line said back once.
        built = self.double_sided(lines, earlier)
        if built or ASKS_DOUBLE_SIDED.search(message):
            return [built] if built else []
        said = _spoken(clause(_first_sentence(line))).rstrip(" ,;:")
        question = self.unasked(self.data.example_questions, earlier)
        return [f"{self.data.example_lead.format(said=said)} {question}"]

    def reworded(self, message: str, earlier: Sequence[str] = ()) -> str | None:
        """Open versions of the closed or why-questions the trainee quotes, when asked for
        them (coach.supervisor.rewording), with a question that hands them back; None when
        no question can be rewritten."""
        parts = self.data.reworded
        pairs = reworded(message)
        if not pairs:
            return None
        closed = [_capital(p.closed) for p in pairs]
        if len(pairs) == 2 and pairs[0].closed == pairs[1].closed:
            said = [parts.one.format(closed=closed[0], first=pairs[0].open, second=pairs[1].open)]
        else:
            said = [
                parts.pair.format(closed=c, open=p.open) for c, p in zip(closed, pairs, strict=True)
            ]
        why = parts.why_not_why if closed[0].lower().startswith("why") else parts.why
        question = self.unasked(parts.questions, earlier)
        # Every version asked for before the line on why; then fewer versions.
        for n in range(len(said), 0, -1):
            # a list that ends in a quoted question takes no full stop after it
            listed = f"{'; '.join(said[:n])}.".replace("?'.", "?'")
            for reason in (why, ""):
                text = " ".join(p for p in (parts.lead, listed, reason, question) if p)
                if len(text.split()) <= MAX_MENU_WORDS:
                    return text
        return None

    def menu(self, message: str, lines: Sequence[str], earlier: Sequence[str] = ()) -> str | None:
        """Two or three reflections of the client's line, each built from their words and
        labelled by what it does (close to the words, both sides of the ambivalence, a step
        further), with a question that hands the choice back; None when fewer than two can be
        built or they would not fit a reply."""
        parts = self.data.menu
        line = max(lines, key=lambda q: len(q.split()))
        first = _first_sentence(line)
        sides = self.sides(lines)
        # One side only when the line has two: the whole of it would say both again.
        close = _capital(_spoken(clause(SIDES.split(first, maxsplit=1)[0])).rstrip(" ,;:"))
        further = None
        if wish := WISH.match(first):
            further = parts.wish.format(act=swap_person(wish.group("act").strip()))
        elif LIVED.match(first):
            lived = _capital(_spoken(CLAUSE_END.split(first, maxsplit=1)[0]))
            if len(lived.split()) <= MAX_REFLECTED_WORDS - 4:
                further = parts.lived.format(said=lived)
        built = {
            "close": parts.close.format(line=f"{close}.")
            if len(close.split()) >= MIN_REFLECTED_WORDS
            else None,
            "both": parts.both.format(line=f"{sides[0]}, and {sides[1]}.") if sides else None,
            "further": parts.further.format(line=further) if further else None,
        }
        order = ("both", "close", "further") if ASKS_DOUBLE_SIDED.search(message) else built
        options = {k: built[k] for k in order if built[k]}
        outside = QUOTED.sub(" ", message)
        her, him = len(HER.findall(outside)), len(HIM.findall(outside))
        client = "her" if her > him else "him" if him > her else "your client"
        lead = self.unasked(parts.leads, earlier).format(client=client)
        question = self.unasked(parts.questions, earlier).format(client=client)
        tip = "" if further else parts.tip
        # Too long for one reply: the close one goes first, then the step further.
        for dropped in (None, "close", "further"):
            if dropped:
                options.pop(dropped, None)
            if len(options) < 2:
                return None
            text = " ".join(p for p in [lead, *options.values(), tip, question] if p)
            if len(text.split()) <= MAX_MENU_WORDS:
                return text
        return None

    def builds_for(self, message: str, earlier: Sequence[str] = ()) -> bool:
        """Whether wording asked for can be built from the client's own words the message
        gives: a menu of reflections or a double-sided one of their line, a summary of their
        strands, or open versions of the questions quoted (a written idea answers less well)."""
        if self.summary_example(message) or self.reworded(message, earlier):
            return True
        if not (_asks_for_wording(message) and (lines := client_lines(message))):
            return False
        if ASKS_DOUBLE_SIDED.search(message) and self.sides(lines):
            return True
        return self.menu(message, lines, earlier) is not None

    def summary_example(self, message: str) -> str | None:
        """Asked for an example summary, the strands the client spoke about said back to
        them, with a question for the trainee; None when none can be built."""
        if not ASKS_SUMMARY.search(message) or not (listed := client_strands(message)):
            return None
        return self.data.summary_example_lead.format(listed=listed)

    def double_sided(self, lines: Sequence[str], earlier: Sequence[str] = ()) -> str | None:
        """A double-sided reflection of the client's quoted line that holds both sides of
        their ambivalence, or None when no line does."""
        if not (sides := self.sides(lines)):
            return None
        question = self.unasked(self.data.double_sided_questions, earlier)
        for template in (self.data.double_sided_lead, self.data.double_sided_short_lead):
            text = f"{template.format(first=sides[0], last=sides[1])} {question}"
            if len(text.split()) <= MAX_MENU_WORDS:
                return text
        return None

    @staticmethod
    def sides(lines: Sequence[str]) -> tuple[str, str] | None:
        """The two sides of the longest quoted sentence that holds both, said back to the
        client: the one leaning toward change last (with both or neither leaning, the order
        as said), the first capitalised."""
        said = [
            p.strip().rstrip(".!?, ")
            for q in lines
            for p in SENTENCE.findall(TRAILING_OFF.sub(", ", q))
        ]
        for sentence in sorted(said, key=lambda q: len(q.split()), reverse=True):
            sides = SIDES.split(sentence, maxsplit=1)
            if len(sides) != 2 or any(len(s.split()) < 3 or CONTRAST.search(s) for s in sides):
                continue  # "I have to leave, but the mortgage, but my kids": not two sides
            spoken = [_spoken(HEDGE.sub("", INTERJECTION.sub("", s.strip(" ,.")))) for s in sides]
            if any(len(s.split()) > MAX_REFLECTED_WORDS for s in spoken):
                continue
            return _ordered(sides, spoken)
        # Two quoted lines, one for each side ('"I'm tired of hiding who I am" ... "They'll
        # think I'm on drugs"'): each said back whole, when it is one sentence with a subject.
        whole = [q.strip().rstrip(".!?,;: ") for q in lines[:2]]
        if len(whole) == 2 and all(
            STARTS_WITH_SUBJECT.match(q)
            and len(SENTENCE.findall(q)) == 1
            and 4 <= len(q.split()) <= MAX_REFLECTED_WORDS
            for q in whole
        ):
            return _ordered(whole, [_spoken(q) for q in whole])
        return None

    @staticmethod
    def unasked_all(options: Sequence[str], earlier: Sequence[str]) -> list[str]:
        """The options the session has not heard, in order; the first when it heard all."""
        said = " ".join(" ".join(words(e)) for e in earlier)
        return [o for o in options if " ".join(words(o)) not in said] or [options[0]]


@lru_cache(maxsize=4)
def floor_for(prompts_dir: Path) -> Floor:
    return Floor(prompts_dir / "floor.yaml")
