"""The guard's optional third layer: a second opinion from the chat model
(``prompts/safety_judge.yaml``). Worth it with a capable backend; off by default, and the
embedded path meets the guard's targets without it."""

from __future__ import annotations

from typing import Literal

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel

from coach.llm.templates import load_template
from coach.settings import Settings
from coach.supervisor.guard.categories import Category
from coach.supervisor.guard.patterns import Detection


class SafetyVerdict(BaseModel):
    category: Category | Literal["none"]
    reason: str = ""


class SafetyJudge:
    def __init__(self, settings: Settings, chat_model: BaseChatModel) -> None:
        self.settings = settings
        self.model = chat_model
        self.template = load_template(settings.prompts_dir / "safety_judge.yaml")

    def screen(self, message: str) -> list[Detection]:
        from coach.llm.backends import invoke_json

        messages = [
            SystemMessage(self.template.render("system")),
            HumanMessage(self.template.render("user", message=message)),
        ]
        verdict = invoke_json(
            self.model,
            messages,
            SafetyVerdict,
            self.settings,
            max_tokens=120,
            what="a safety verdict",
        )
        if verdict.category == "none":
            return []
        return [
            Detection(verdict.category, f"safety judge: {verdict.reason}".strip(), layer="judge")
        ]
