"""The simulated trainee: a chat model plays a trainee from a scenario's persona."""

from __future__ import annotations

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from coach.errors import CoachError
from coach.llm.backends import backend_error
from coach.llm.templates import load_template
from coach.settings import Settings
from coach.supervisor.agent import FOCUS_LABELS

SPEAKER_PREFIXES = ("trainee:", "me:", "supervisor:")


class SimulatedTrainee:
    def __init__(self, settings: Settings, chat_model: BaseChatModel) -> None:
        self.settings = settings
        self.template = load_template(settings.prompts_dir / "simulated_trainee.yaml")
        self.model = chat_model

    def messages(
        self, persona: str, focus: str, exchanges: list[tuple[str, str]]
    ) -> list[BaseMessage]:
        """The conversation from the trainee's side: the trainee's lines are the model's
        own turns, the supervisor's replies arrive as user messages."""
        topic = FOCUS_LABELS.get(focus, "whatever is most on your mind in your work")
        out: list[BaseMessage] = [
            SystemMessage(self.template.render("system", persona=persona, focus=topic)),
            HumanMessage(self.template.render("user", reply="")),
        ]
        for trainee, supervisor in exchanges:
            out += [
                AIMessage(trainee),
                HumanMessage(self.template.render("user", reply=supervisor)),
            ]
        return out

    def next_turn(self, persona: str, focus: str, exchanges: list[tuple[str, str]]) -> str:
        try:
            reply = self.model.invoke(self.messages(persona, focus, exchanges))
        except Exception as exc:
            raise backend_error(exc, self.settings) from exc
        text = str(reply.content).strip().strip('"')
        # Small models sometimes label the line; the label is not part of what was said.
        for prefix in SPEAKER_PREFIXES:
            if text.lower().startswith(prefix):
                text = text[len(prefix) :].strip()
        if not text:
            raise CoachError("The simulated trainee produced an empty message.")
        return text
