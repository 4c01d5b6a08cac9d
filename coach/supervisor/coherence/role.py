"""Is the reply spoken by the supervisor, to the trainee?

A small model that has read trainee lines in its prompt often answers *as* the trainee ("my
client cried and I froze"), writes speaker labels, or talks about "the trainee". A supervisor
may say "I" only to take a supervisor's stance: to wonder, notice, offer, ask.
"""

from __future__ import annotations

import re

SPEAKER_LABEL = re.compile(
    r"(?:^|[\n.!?]\s*)\**(?:trainee|supervisor|supervisee|client|therapist|counsell?or|patient"
    r"|user|assistant|coach)\**\s*:",
    re.I,
)
THIRD_PERSON = re.compile(r"\b(?:the|this|our|a) (?:trainee|supervisee)s?\b", re.I)
SECOND_PERSON = re.compile(r"\b(?:you|your|yours|yourself|you're|you've|you'd|you'll)\b", re.I)
# "my" is the supervisor's only before words for their own view or offer.
MY_ALLOWED = {
    "thoughts",
    "thought",
    "ideas",
    "idea",
    "sense",
    "guess",
    "view",
    "impression",
    "hunch",
    "understanding",
    "question",
    "questions",
    "suggestion",
    "suggestions",
    "experience",
    "hope",
    "curiosity",
    "take",
    "reading",
    "own",
    "mind",
    "part",
}
MY = re.compile(r"\bmy\s+([a-z']+)(?:\s+([a-z']+))?", re.I)
# After "I", "I'm", "I'd" ...: the stance verbs of a supervisor. Anything else ("I froze",
# "I felt", "I have a client") is a trainee's or a client's sentence.
I_ALLOWED = {
    "wonder",
    "wondered",
    "hear",
    "heard",
    "notice",
    "noticed",
    "imagine",
    "appreciate",
    "sense",
    "see",
    "get",
    "think",
    "guess",
    "hope",
    "like",
    "would",
    "could",
    "can",
    "want",
    "wanted",
    "invite",
    "suspect",
    "understand",
    "agree",
    "value",
    "admire",
    "respect",
    "love",
    "also",
    "really",
    "just",
    "am",
    "have",
    "do",
    "might",
    "may",
    "will",
    "feel",
    "offer",
    "share",
    "noticing",
    "hearing",
    "wondering",
    "curious",
    "struck",
    "glad",
    "aware",
    "thinking",
    "interested",
    "happy",
    "sorry",
    "here",
    "guessing",
    "imagining",
    "touched",
    "moved",
    "picking",
    "getting",
    "seeing",
    "sensing",
    "impressed",
    "grateful",
    "not",
    "don't",
    "won't",
    "can't",
    "wouldn't",
    "say",
}
# These are allowed only when the supervisor speaks to the trainee: "I feel for you", "I have
# a few thoughts", "I am curious". Followed by a trainee's story they are not.
I_STORY = re.compile(
    r"\bI(?:'ve| have| had)\s+(?:been|felt|had|seen|worked|got|lost|never|always|done|tried|"
    r"a client|clients|this client|a session|a lot on)\b"
    r"|\bI(?:'m| am)\s+(?:so\s+|really\s+|just\s+)?(?:tired|exhausted|scared|afraid|worried|"
    r"anxious|stuck|burn(?:ed|t) out|not sure (?:what|how|if) I|a (?:trainee|therapist)|new)\b"
    r"|\bI\s+(?:felt|feel)\s+(?:like I|so|shaky|awful|bad|terrible|lost|useless|scared)\b"
    r"|\bI\s+(?:think|guess)\s+I\b"
    r"|\b(?:reminded|reminds|scared|triggered|affected|hit) me\b|\bgot to me\b"
    # The supervisor asking for ideas or advice has swapped roles with the trainee.
    r"|\bI(?:'d| would)?\s+(?:like|want|need|could use)\s+(?:some\s+|a few\s+|more\s+)?"
    r"(?:ideas|advice|suggestions|tips|help)\b",
    re.I,
)
I_WORD = re.compile(r"\bI(?:'m|'ve|'d|'ll)?\s+([A-Za-z']+)")
# A list or a heading ("Here are some thoughts: - ..."): a handout, not a supervisor talking.
DOCUMENT = re.compile(r"(?:^|\n|:\s*)(?:\d+[.)]|[-*•])(?:\s|$)|:\s*$|^\s*#", re.M)
INTENSIFIERS = {"so", "really", "just", "also", "still", "very", "quite", "a", "bit"}
# Sample wording the supervisor offers ("something like 'I wasn't really hearing you'") is
# words for the trainee to say, not the supervisor speaking as someone else.
SAMPLE_WORDING = re.compile(
    r"(?<![A-Za-z])(?:'(?:.+?)'|\u2018(?:.+?)\u2019|\"(?:.+?)\"|\u201c(?:.+?)\u201d)(?![A-Za-z])"
)


def role_problems(text: str) -> list[str]:
    """What breaks the supervisor's voice; empty when the reply speaks to the trainee."""
    problems: list[str] = []
    spoken = SAMPLE_WORDING.sub(" (wording) ", text)
    if SPEAKER_LABEL.search(text):
        problems.append("speaker label")
    if THIRD_PERSON.search(text):
        problems.append("speaks about the trainee in the third person")
    for match in MY.finditer(spoken):
        word = match.group(1).lower()
        if word == "own":  # "my own view" is a stance; "my own childhood" is a story
            word = (match.group(2) or "").lower()
        if word not in MY_ALLOWED or word == "own":
            problems.append(f"speaks as the trainee or client ('my {word}')")
            break
    story = I_STORY.search(spoken)
    if story:
        problems.append(f"speaks as the trainee or client ('{story.group(0)}')")
    else:
        for match in I_WORD.finditer(spoken):
            word = match.group(1).lower()
            if word not in I_ALLOWED and word not in INTENSIFIERS:
                problems.append(f"speaks as the trainee or client ('{match.group(0)}')")
                break
    if not SECOND_PERSON.search(text):
        problems.append("does not speak to the trainee as 'you'")
    if DOCUMENT.search(text):
        problems.append("reads as a document (a list or a heading), not as talk")
    return problems
