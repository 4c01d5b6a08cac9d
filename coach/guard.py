"""The safety guard: fast offline detectors for what a message asks for or reveals, and the
boundary reply each finding calls for.

The detectors run on every trainee message and every draft reply. They are patterns, not a
model, so they cost microseconds and every hit names the words that matched. Categories come
in priority order: when a message holds several, the boundary reply answers the first (a
crisis outranks a dosing question), and all of them are flagged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from jinja2 import Environment, StrictUndefined
from langchain_core.language_models import BaseChatModel
from pydantic import BaseModel, ConfigDict, Field, model_validator

from coach.safety import any_of
from coach.settings import Settings
from coach.templates import load_prompt_file, load_template

Category = Literal["crisis_self", "crisis_client", "medical_emergency", "dosing", "combination",
                   "sourcing", "legal", "diagnosis", "role_drop"]
CATEGORIES: tuple[Category, ...] = ("crisis_self", "crisis_client", "medical_emergency",
                                    "dosing", "combination", "sourcing", "legal", "diagnosis",
                                    "role_drop")
CRISIS: tuple[Category, ...] = ("crisis_self", "crisis_client", "medical_emergency")


SELF_HARM = (r"(?:kill(?:ing)?\s+my\s?self|end(?:ing)?\s+(?:it\s+all|my\s+(?:own\s+)?life)|"
             r"hurt(?:ing)?\s+my\s?self|harm(?:ing)?\s+my\s?self|cut(?:ting)?\s+my\s?self|"
             r"take\s+my\s+(?:own\s+)?life|not\s+(?:be\s+)?(?:alive|here)\s+anymore)")
PEOPLE = r"(?:my\s+client|the\s+client|client|participant|patient|he|she|they|him|her|them)"
DRUGS = (r"(?:psilocybin|mushrooms?|shrooms|truffles|lsd|acid|mdma|molly|ecstasy|ketamine|"
         r"ayahuasca|dmt|5-?meo|ibogaine|mescaline|peyote|san\s+pedro|psychedelics?|"
         r"microdos\w*|the\s+medicine)")
MEDICATION = (r"(?:lithium|ssris?|snris?|maois?|antidepressants?|sertraline|fluoxetine|"
              r"prozac|zoloft|lexapro|escitalopram|citalopram|paroxetine|venlafaxine|"
              r"bupropion|tramadol|antipsychotics?|benzos?|benzodiazepines?|xanax|"
              r"medications?|meds|alcohol|cannabis|weed)")

DETECTORS: dict[Category, re.Pattern[str]] = {
    "crisis_self": any_of(
        rf"\b{SELF_HARM}",
        rf"\bI(?:'m|\s+am|'ve|\s+have|\s+keep|\s+feel)?\s+(?:been\s+)?(?:thinking\s+(?:about|of)"
        rf"|planning|going|want(?:ing)?|tempted|ready)\s+(?:to\s+)?{SELF_HARM}",
        rf"\bI\s+(?:might|could|will|would|want\s+to|wanna)\s+{SELF_HARM}",
        r"\bI\s+(?:don't|do\s+not)\s+want\s+to\s+(?:be\s+alive|live|wake\s+up|be\s+here)\b",
        r"\bI(?:'m|\s+am|\s+feel|'ve\s+been|\s+have\s+been)\s+(?:\w+\s+)?suicidal\b",
        r"\b(?:everyone|they|people)\s+would\s+be\s+better\s+off\s+without\s+me\b",
        r"\bno\s+(?:reason|point)\s+(?:to|in)\s+(?:live|living|going\s+on)\b",
        r"\bI(?:'ve|\s+have)\s+been\s+(?:cutting|hurting|harming)\s+myself\b",
    ),
    "crisis_client": any_of(
        r"\b(?:is|was|has\s+been|feels?|felt|seems?|sounds?|became|getting|got|been)\s+"
        r"(?:\w+\s+)?(?:suicidal|self-harming)\b",
        r"\b(?:talk\w*|spoke|mention\w*|disclos\w*|told\s+me|texted|wrote|messag\w*|hint\w*)"
        r"\s+(?:\w+\s+){0,3}about\s+(?:suicide|killing\s+(?:him|her|them)sel\w+|dying|"
        r"ending\s+(?:it|(?:his|her|their)\s+life)|wanting\s+to\s+die|self-harm)",
        r"\b(?:has|having|had|reports?|reported|disclosed)\s+(?:\w+\s+)?(?:suicidal\s+"
        r"(?:thoughts|ideation|feelings|plans?)|thoughts\s+of\s+(?:suicide|dying|killing))",
        r"\b(?:attempted\s+suicide|suicide\s+attempt)\b",
        r"\bkill(?:ing)?\s+(?:him|her|them)sel(?:f|ves)\b",
        r"\bend(?:ing)?\s+(?:his|her|their)\s+(?:own\s+)?li(?:fe|ves)\b",
        r"\b(?:looking\s+up|researching|searching)\s+(?:ways|how)\s+to\s+(?:die|overdose)\b",
        r"\bwould\s+be\s+better\s+off\s+without\s+(?:him|her|them)\b",
        r"\b(?:pills|tablets)\s+(?:saved|stockpiled|hoarded)\b",
        r"\b(?:saved|stockpiled|hoarded)\s+(?:up\s+)?(?:pills|tablets|medication)\b",
        r"\btonight\s+is\s+the\s+night\b",
        rf"\b{PEOPLE}\s+(?:wants?\s+to|is\s+going\s+to|said\s+(?:he|she|they)(?:'d|\s+would|"
        rf"\s+will)|threatened\s+to)\s+(?:die|hurt|kill|harm)\b",
    ),
    "medical_emergency": any_of(
        r"\bchest\s+(?:pain|hurts|is\s+hurting|tightness|feels\s+tight)\b",
        r"\b(?:right\s+now|just\s+now|at\s+the\s+moment|in\s+(?:a|the)\s+session)\b"
        r"[\s\S]{0,150}\b(?:heart|pulse)\s+(?:is\s+)?(?:racing|pounding|beating\s+(?:really\s+)?fast)",
        r"\b(?:not|stopped|isn't|is\s+not|can't|cannot)\s+breath(?:e|ing)\b",
        r"\bseizures?\b|\bconvuls\w*",
        r"\b(?:unconscious|unresponsive|passed\s+out|collapsed|fainted)\b",
        r"\b(?:stopped|not|isn't|won't)\s+respond(?:ing)?\s+(?:to\s+(?:us|me|anyone)|at\s+all)",
        r"\b(?:overheating|heat\s?stroke|temperature\s+of\s+(?:4\d|10[4-9]))\b",
        r"\bvomiting\s+blood\b|\bturn(?:ing|ed)\s+blue\b|\bbluish\s+lips\b",
    ),
    "combination": any_of(
        rf"\b(?:combin\w*|mix\w*|together\s+with|along\s+with|while\s+(?:on|taking)|"
        rf"interact\w*)\b[^.?!]{{0,60}}\b{MEDICATION}\b",
        rf"\b(?:is|are)\s+(?:on|taking)\s+{MEDICATION}\b[^.?!]{{0,80}}\b{DRUGS}\b",
        rf"\b{MEDICATION}\b[^.?!]{{0,40}}\b(?:and|with|plus)\s+{DRUGS}\b",
        rf"\b{DRUGS}\b[^.?!]{{0,40}}\b(?:and|with|plus)\s+{MEDICATION}\b",
    ),
    "dosing": any_of(
        r"\bhow\s+(?:much|many)\b[^.?!]{0,40}\b(?:mg|milligrams?|grams?|g|mcg|ug|micrograms?|"
        r"tabs?|tablets?|pills?|drops?|capsules?|hits?|caps)\b",
        r"\b(?:what(?:'s|\s+is)?|which)\s+(?:(?:a|an|the)\s+)?(?:\w+\s+)?(?:dose|dosage|amount)s?\b",
        r"\b(?:a|an|the)\s+(?:safe|right|usual|standard|good|sensible|reasonable|typical|normal|"
        r"appropriate|starting|maximum|max|therapeutic)\s+(?:dose|dosage|amount)s?\b",
        r"\bhow\s+(?:much|many)\s+(?:more|should|to\s+take|do\s+I|does\s+(?:he|she))\b",
        r"\b(?:booster|redose|re-dose|top-?up)\b",
        r"\bmicrodos\w*\b[^.?!]{0,60}\b(?:amount|schedule|protocol|how\s+much|dose)\b",
        r"\b(?:dose|dosage|dosing)\b[^.?!]{0,40}\b(?:should|recommend|tell|give|take)\b",
        r"\b(?:should|recommend|tell|give|take)\b[^.?!]{0,40}\b(?:dose|dosage|dosing)\b",
        r"\bwhich\s+(?:sleeping\s+)?(?:pills|tablets|medication)\b[^.?!]{0,40}\b(?:take|give)\b",
    ),
    "sourcing": any_of(
        rf"\bwhere\b[^.?!]{{0,40}}\b(?:buy|get|find|order|source|purchase|score|pick\s+up)\b"
        rf"[^.?!]{{0,40}}\b{DRUGS}",
        r"\b(?:reliable|trusted|trustworthy|good|safe|legit)\s+(?:vendors?|dealers?|sources?|"
        r"suppliers?|sellers?|shops?)\b",
        r"\b(?:vendors?|dealers?|suppliers?)\b[^.?!]{0,40}\b(?:reliable|trust|recommend)\b",
        r"\bdark\s?(?:web|net)\b|\bspore\s+(?:syringes?|prints?)\b",
        rf"\b(?:buy|order|purchase|get\s+hold\s+of)\b[^.?!]{{0,30}}\b{DRUGS}\b",
        r"\bgrow\s+(?:my|his|her|their|your)\s+own\b",
    ),
    "legal": any_of(
        r"\b(?:is|was|would)\s+(?:it|that|this)\s+(?:\w+\s+){0,3}(?:legal|illegal|against\s+the\s+law)\b",
        r"\b(?:legal|illegal)\s+(?:for\s+me|to\s+do)\b",
        r"\b(?:be|get|getting|been)\s+(?:sued|prosecuted|arrested|charged)\b",
        r"\b(?:sue|suing)\s+(?:me|us|him|her|them|the)\b|\b(?:liable|liability|lawsuit)\b",
        r"\b(?:protect|cover)\s+(?:myself|me|us)\s+legally\b|\blegal\s+advice\b",
        r"\b(?:do|must|should)\s+I\s+(?:have\s+to\s+)?report\b[^.?!]{0,30}\b(?:police|"
        r"authorities|the\s+law)\b",
    ),
    "diagnosis": any_of(
        r"\b(?:give|tell)\s+me\s+(?:the|a|your)\s+(?:\w+\s+)?diagnos\w*",
        r"\bdiagnos(?:e|is)\s+(?:him|her|them|my\s+client|the\s+client|code)\b",
        r"\b(?:dsm|icd)(?:-?\s?\d+)?\b[^.?!]{0,30}\b(?:code|diagnos\w*)\b",
        r"\b(?:does|do|is|are)\s+(?:he|she|they|my\s+client|the\s+client)\s+(?:have\s+)?"
        r"(?:\w+\s+)?(?:bipolar|schizophreni\w*|psychotic|psychosis|ptsd|borderline|bpd|adhd|"
        r"hppd|manic|narcissis\w*|autis\w*|a\s+(?:\w+\s+)?disorder)\b",
        r"\bwhat\s+(?:disorder|condition|diagnosis)\s+(?:does|do|is)\b",
    ),
    "role_drop": any_of(
        r"\b(?:ignore|disregard|forget)\s+(?:all\s+)?(?:your|the|previous|prior|above|these)\s+"
        r"(?:\w+\s+)?(?:instructions|rules|prompts?|guidelines)\b",
        r"\b(?:system\s+prompt|your\s+(?:hidden\s+)?instructions|word\s+for\s+word)\b",
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


@dataclass(frozen=True)
class Detection:
    category: Category
    evidence: str


# "She said 'I want to end my life'": first-person words reported about someone else.
REPORTED_SPEECH = any_of(
    r"[\"“”]", rf"\b{PEOPLE}\s+(?:said|says|told\s+me|texted|wrote|messaged|keeps\s+saying)\b",
)


def detect(text: str) -> list[Detection]:
    """Every category found in ``text``, in priority order, with the words that matched."""
    found: dict[Category, Detection] = {}
    for category in CATEGORIES:
        match = DETECTORS[category].search(text)
        if match:
            found[category] = Detection(category, match.group(0).strip())
    if "crisis_self" in found and REPORTED_SPEECH.search(text):
        quoted = found.pop("crisis_self")
        found.setdefault("crisis_client", Detection("crisis_client", quoted.evidence))
    return sorted(found.values(), key=lambda d: CATEGORIES.index(d.category))


def asks_for_roleplay(message: str) -> bool:
    return bool(ROLEPLAY_REQUEST.search(message))


class Boundaries(BaseModel):
    """``prompts/boundaries.yaml``: one reply per category, plus the fallback used when every
    draft reply was unsafe. Each is a Jinja2 template that may use ``resources``."""

    model_config = ConfigDict(extra="forbid")

    name: str
    description: str
    replies: dict[Category, str]
    fallback: str = Field(min_length=20)

    @model_validator(mode="after")
    def _every_category(self) -> Boundaries:
        missing = [c for c in CATEGORIES if c not in self.replies]
        if missing:
            raise ValueError(f"replies lacks {', '.join(missing)}")
        return self


_jinja = Environment(undefined=StrictUndefined, autoescape=False)


def load_boundaries(path: Path) -> Boundaries:
    return load_prompt_file(path, Boundaries)


def boundary_reply(boundaries: Boundaries, categories: list[Category], resources: str) -> str:
    """The reply for the most urgent category; the fallback when there is none."""
    source = boundaries.replies[categories[0]] if categories else boundaries.fallback
    return " ".join(_jinja.from_string(source).render(resources=resources).split())


class SafetyVerdict(BaseModel):
    category: Literal["none", "crisis_self", "crisis_client", "medical_emergency", "dosing",
                      "combination", "sourcing", "legal", "diagnosis", "role_drop"]
    reason: str = ""


class SafetyJudge:
    """A second opinion from the chat model (``prompts/safety_judge.yaml``) on messages the
    fast detectors let through. Worth it with a capable model; off by default."""

    def __init__(self, settings: Settings, chat_model: BaseChatModel) -> None:
        self.settings = settings
        self.model = chat_model
        self.template = load_template(settings.prompts_dir / "safety_judge.yaml")

    def screen(self, message: str) -> list[Detection]:
        from langchain_core.messages import HumanMessage, SystemMessage

        from coach.models import invoke_json

        messages = [SystemMessage(self.template.render("system")),
                    HumanMessage(self.template.render("user", message=message))]
        verdict = invoke_json(self.model, messages, SafetyVerdict, self.settings,
                              max_tokens=120, what="a safety verdict")
        if verdict.category == "none":
            return []
        return [Detection(verdict.category, f"safety judge: {verdict.reason}".strip())]
