"""Closed and why-questions a trainee quotes, turned into open ones by rule.

A trainee who asks "could you show me open versions of these?" wants the versions. A small
model asked to rewrite a question drifts from it, so each quoted question is rewritten here by
its grammar: "Why did you stop ...?" asks what led the client to stop; "Did the session feel
safe?" asks how it felt; "Are you going to keep journaling?" asks what they think about
keeping it up. A question no rule fits is left out, never guessed at.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Asked to make questions open, or for another way to ask one.
ASKS_TO_REWORD = re.compile(
    r"\b(?:reword|re-word|rephrase|open versions?|open ones|(?:an|in an) open way|"
    r"into (?:an )?open(?: ones| questions?| versions?)?|turn (?:each|them|these|it|that|this) "
    r"into|alternatives?|alternative ways?|other ways? to ask|better way to ask|"
    r"ask (?:it|that|this|them) differently|more open|make (?:it|them|these|that) open|"
    r"what could I have (?:asked|said) instead|instead of asking|"
    r"open (?:them|it|these|those|this|that|each(?: one)?) up)\b",
    re.I,
)
# A question as the trainee put it to a client: quoted, numbered ("1) Did ...?"), or after
# "I asked". Its first word is what a rule keys on.
QUOTED_QUESTION = re.compile(
    r"(?:[\"\u201c'\u2018]|\b\d[.)]\s*|\bI asked(?: (?:him|her|them))?:?\s+)"
    r"(?P<q>(?:why|did|do|does|are|is|was|were|have|has)\b[^?\"\u201d\n]{3,140}\?)",
    re.I,
)
FIRST_PERSON = re.compile(r"\b(?:I|I'm|I've|me|my)\b")
# Words that end a yes/no question's complement and have no place in an open one.
COMPARATIVE = re.compile(
    r"\s+(?:better|worse|more|less|enough|ok|okay|again|yet|already|so far|at all)$", re.I
)

# Verbs whose -ing form is not the regular one.
ING = {"be": "being", "see": "seeing", "lie": "lying", "die": "dying", "agree": "agreeing"}
DOUBLED = {
    "stop",
    "get",
    "sit",
    "run",
    "put",
    "set",
    "plan",
    "drop",
    "quit",
    "cut",
    "begin",
    "swim",
    "hit",
    "shop",
    "jog",
}


def gerund(verb: str) -> str:
    """The -ing form of a bare verb: keep -> keeping, make -> making, stop -> stopping."""
    low = verb.lower()
    if low in ING:
        return ING[low]
    if low in DOUBLED:
        return low + low[-1] + "ing"
    if low.endswith("ie"):
        return low[:-2] + "ying"
    if low.endswith("e") and not low.endswith(("ee", "ye", "oe")):
        return low[:-1] + "ing"
    return low + "ing"


# Past participles whose bare verb is not the -ed form stripped.
PARTICIPLES = {
    "been": "be",
    "done": "do",
    "told": "tell",
    "seen": "see",
    "gone": "go",
    "spoken": "speak",
    "written": "write",
    "made": "make",
    "had": "have",
    "thought": "think",
    "taken": "take",
    "got": "get",
    "gotten": "get",
    "given": "give",
    "found": "find",
    "kept": "keep",
    "felt": "feel",
    "left": "leave",
    "brought": "bring",
    "heard": "hear",
    "read": "read",
}


def participle_gerund(participle: str) -> str | None:
    """The -ing form of a past participle: 'talked' -> 'talking', 'stopped' -> 'stopping',
    'decided' -> 'deciding', 'tried' -> 'trying', 'told' -> 'telling'; None for a word that
    is not one this knows."""
    low = participle.lower()
    if low in PARTICIPLES:
        return gerund(PARTICIPLES[low])
    if low.endswith("ied"):
        return low[:-3] + "ying"
    if low.endswith("eed"):
        return low[:-1] + "ing"  # agreed -> agreeing
    if low.endswith("ed") and len(low) >= 4:
        return low[:-2] + "ing"  # the stem keeps a doubled consonant and drops a silent e
    return None


def _verb_phrase_as_gerund(phrase: str) -> str:
    """'keep journaling' -> 'keeping journaling'; 'talk to your partner about it' ->
    'talking to your partner about it'."""
    verb, _, rest = phrase.partition(" ")
    return f"{gerund(verb)} {rest}".strip()


@dataclass(frozen=True)
class Rule:
    pattern: re.Pattern[str]
    templates: tuple[str, ...]  # open versions, filled from the pattern's named groups

    def apply(self, question: str) -> list[str]:
        found = self.pattern.match(question)
        if not found:
            return []
        parts = {k: (v or "").strip() for k, v in found.groupdict().items()}
        if "act" in parts:
            parts["acting"] = _verb_phrase_as_gerund(parts["act"])
        if "done" in parts:
            if (doing := participle_gerund(parts["done"])) is None:
                return []
            parts["doing"] = doing
        return [t.format(**parts) for t in self.templates]


def _rule(pattern: str, *templates: str) -> Rule:
    return Rule(re.compile(pattern, re.I), templates)


# In order: the first rule that fits a question rewrites it.
RULES = (
    _rule(
        r"^why didn'?t you (?P<act>.+)$",
        "What made it hard to {act}?",
        "What would make it easier to {act}?",
    ),
    _rule(
        r"^why did you (?P<act>.+)$",
        "What led you to {act}?",
        "How did you come to {act}?",
    ),
    _rule(
        r"^why (?:do|are|would) you (?P<act>.+)$",
        "What draws you to {act}?",
    ),
    _rule(
        r"^(?:did|does|has) (?P<subject>.+?) help(?: you)?$",
        "What difference, if any, did {subject} make?",
    ),
    _rule(r"^did (?P<subject>.+?) feel (?P<how>.+)$", "How did {subject} feel for you?"),
    _rule(
        r"^(?:are|were) you (?:going|planning|hoping) to (?P<act>.+)$",
        "What are you thinking about {acting}?",
        "How do you feel about {acting}?",
    ),
    _rule(
        r"^do you think you(?:'?ll| will) (?P<act>.+)$",
        "What might {acting} be like for you?",
        "How do you feel about {acting}?",
    ),
    _rule(r"^do you want to (?P<act>.+)$", "How do you feel about {acting}?"),
    _rule(r"^did you (?P<act>.+)$", "How has {acting} been going?"),
    _rule(r"^(?:are|were) you (?:still )?having (?P<what>.+)$", "What are {what} like these days?"),
    _rule(
        r"^(?:is|would) (?P<subject>that|this|it) (?:be )?something you'?d (?:want|like) to "
        r"(?P<act>.+)$",
        "What would it be like to {act} {subject}?",
    ),
    _rule(r"^have you been (?P<doing>\w+ing)\b(?P<rest>.*)$", "How has {doing}{rest} been going?"),
    # "Have you got a plan?" is about having, and "been" about being somewhere: no rule fits
    _rule(
        r"^have you (?P<done>(?!been\b|got\b)\w+) (?P<rest>.+)$",
        "Where are you with {doing} {rest}?",
    ),
    _rule(r"^(?:are|were) you (?P<doing>\w+ing)\b(?P<rest>.*)$", "How are you {doing}{rest}?"),
    _rule(r"^(?:was|is) (?:it|that) \w+ when (?P<when>.+)$", "What was it like when {when}?"),
    _rule(r"^is there anything else\b.*$", "What else feels important to bring in today?"),
    _rule(
        r"^(?:was|is) (?P<subject>it|that|this|the \w+(?: \w+)?|your \w+(?: \w+)?|seeing .+?) "
        r"(?:a good thing|a bad thing|good|bad|hard|scary|helpful|ok|okay|weird|strange|"
        r"difficult|painful|useful|nice|overwhelming|intense|frightening|upsetting|confusing)$",
        "What was {subject} like for you?",
    ),
)


@dataclass(frozen=True)
class Reworded:
    closed: str
    open: str


def closed_questions(message: str) -> list[str]:
    """The closed or why-questions the message quotes as put to a client, in order; not the
    trainee's own questions to the supervisor (those speak of I and me)."""
    found = [m.group("q").strip() for m in QUOTED_QUESTION.finditer(message)]
    return list(dict.fromkeys(q for q in found if not FIRST_PERSON.search(q)))


def reworded(message: str) -> list[Reworded]:
    """Each quoted question a rule fits, with its first open version; none unless the
    message asks for open versions or another way to ask."""
    if not ASKS_TO_REWORD.search(message):
        return []
    out = []
    for question in closed_questions(message):
        body = COMPARATIVE.sub("", question.rstrip("?").strip())
        for rule in RULES:
            if versions := rule.apply(body):
                out.append(Reworded(question, _tidy(versions[0])))
                if len(versions) > 1 and len(closed_questions(message)) == 1:
                    out.append(Reworded(question, _tidy(versions[1])))  # one asked: two ways
                break
    return out


def _tidy(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text[:1].upper() + text[1:]
