"""Run suites: generate replies (live) or take recorded ones (replay), code them with the MI
coder, and apply every check. Both modes score through the same ``score`` function."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr

from coach.coder import code_conversation
from coach.errors import CoachError, ConfigError, InputError
from coach.evals.checks import run_session_checks, run_turn_checks
from coach.evals.grounding import GroundingJudge
from coach.evals.records import CaseResult, ReplyRecord, RunInfo, RunReport, SourceRecord
from coach.evals.replay import RecordedConversation
from coach.evals.report import metrics_for
from coach.evals.suites import Scenario, Suite
from coach.knowledge.grounding import Support, lexical_support
from coach.settings import Settings
from coach.supervisor.coherence import Coherence

Progress = Callable[[int], None]  # called with the number of replies just finished


@dataclass
class RunOptions:
    coder: str = "offline"  # offline | llm
    judge: str = "none"  # none | llm: who judges grounding beyond lexical overlap
    seed: int = 0
    repeat: int = 1
    concurrency: int = 1


def _now() -> tuple[str, float]:
    """Wall-clock time for the record, and a monotonic one for the duration."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), time.perf_counter()


class EvalRunner:
    def __init__(self, settings: Settings, suites: list[Suite], options: RunOptions) -> None:
        self.settings = settings
        self.suites = suites
        self.options = options
        self.judge = GroundingJudge(settings) if options.judge == "llm" else None

    # -- scoring, shared by both modes -------------------------------------------------------

    def score(self, suite: Suite, scenario: Scenario | None, case: CaseResult) -> CaseResult:
        """Code the conversation and apply the suite's checks to every reply and the session."""
        done = [r for r in case.replies if r.status == "complete"]
        pairs = [
            (who, text)
            for r in done
            for who, text in (("trainee", r.trainee), ("supervisor", r.reply))
        ]
        coded = code_conversation(
            pairs,
            backend=self.options.coder,  # type: ignore[arg-type]
            settings=self.settings,
        )
        for i, record in enumerate(done):
            record.trainee_codes, record.codes = coded.utterances[2 * i : 2 * i + 2]
        case.summary = coded.summary
        said: list[str] = []
        earlier: list[str] = []
        for index, record in enumerate(case.replies):
            said.append(record.trainee)
            checks = suite.turn_checks(scenario, index) if scenario else suite.defaults.expect
            record.checks = run_turn_checks(
                checks,
                record,
                lambda r=record, s=tuple(said): self._support(r, list(s)),
                lambda r=record, e=tuple(earlier): self._coherence(r, list(e)),
            )
            if record.status == "complete":
                earlier.append(record.reply)
        session = suite.session_checks(scenario) if scenario else suite.defaults.session
        case.session_checks = run_session_checks(session, done, coded.summary)
        return case

    def _coherence(self, record: ReplyRecord, earlier: list[str]) -> Coherence:
        from coach.supervisor.coherence import coherence_checker

        checker = coherence_checker(self.settings.prompts_dir)
        [result] = checker.check(
            record.trainee, [record.reply], earlier, [s.text for s in record.sources]
        )
        return result

    def _support(self, record: ReplyRecord, said: list[str]) -> Support:
        if self.judge:
            return self.judge.support(record.reply, record.sources, said)
        return lexical_support(record.reply, record.sources, said)

    # -- live ------------------------------------------------------------------------------

    def live(self, report_dir: Path, progress: Progress | None = None) -> RunReport:
        from coach.evals.simulate import SimulatedTrainee
        from coach.knowledge.retriever import Retriever
        from coach.llm.backends import get_chat_model
        from coach.storage.db import open_database
        from coach.storage.store import Store
        from coach.supervisor.agent import Supervisor

        started = _now()
        # Eval conversations go to their own database in the report folder, never into the
        # logs that supervisors review.
        db_settings = self.settings.model_copy(
            update={"database_url": SecretStr(f"sqlite:///{(report_dir / 'eval.db').resolve()}")}
        )
        store = Store(open_database(db_settings))
        retriever = Retriever(self.settings)
        retriever.search("warm up")  # builds the BM25 index once, before any threads start
        chat_model = get_chat_model(self.settings)

        def run_case(job: tuple[Suite, Scenario, int]) -> CaseResult:
            suite, scenario, repeat = job
            model = chat_model.bind(seed=self.options.seed + repeat)
            agent = Supervisor(
                self.settings,
                retriever,
                model,
                store,  # type: ignore[arg-type]
                seed=self.options.seed + 100 * repeat,
            )
            simulator = SimulatedTrainee(self.settings, model)  # type: ignore[arg-type]
            case = CaseResult(
                suite=suite.name,
                scenario=scenario.id,
                title=scenario.title,
                focus=scenario.focus,
                persona=scenario.persona,
                repeat=repeat,
            )
            try:
                self._converse(agent, simulator, scenario, case, progress)
            except ConfigError:
                raise
            except CoachError as exc:
                case.error = str(exc)
                if progress:  # the turns that will not happen still count as done
                    progress(scenario.turn_count - len(case.replies))
            return self.score(suite, scenario, case)

        jobs = [
            (suite, scenario, r)
            for r in range(self.options.repeat)
            for suite in self.suites
            for scenario in suite.scenarios
        ]
        with ThreadPoolExecutor(max_workers=self.options.concurrency) as pool:
            cases = list(pool.map(run_case, jobs))
        info = self._info("live", started, retriever)
        return self._report(info, cases)

    def _converse(
        self, agent, simulator, scenario: Scenario, case: CaseResult, progress: Progress | None
    ) -> None:
        scripted = scenario.scripted
        session_id = None
        for index in range(scenario.turn_count):
            simulated = index >= len(scripted)
            message = (
                simulator.next_turn(
                    scenario.persona,
                    scenario.focus,
                    [(r.trainee, r.reply) for r in case.replies],
                )
                if simulated
                else scripted[index].say
            )
            turn = agent.turn(message, session_id=session_id, focus=scenario.focus, channel="eval")
            session_id = turn.session_id
            try:
                turn.run()
            except ConfigError:
                raise  # a wrong key or an unreachable server fails every case: stop the run
            except CoachError:
                pass  # recorded on turn.result, and the case's checks fail with it
            result = turn.result
            timings = result.timings_ms
            case.replies.append(
                ReplyRecord(
                    index=index,
                    trainee=message,
                    simulated=simulated,
                    reply=result.reply,
                    status=result.status,
                    error=result.error,
                    sources=[
                        SourceRecord(
                            doc_id=p.doc_id,
                            title=p.title,
                            heading=p.heading,
                            text=p.text,
                            score=p.score,
                        )
                        for p in result.sources
                    ],
                    seconds=timings["total"] / 1000,
                    first_token_seconds=timings["first_token"] / 1000
                    if "first_token" in timings
                    else None,
                    guidance_mode=result.guidance.mode if result.guidance else None,
                    candidates=len(result.guidance.candidates) if result.guidance else None,
                    repaired=bool(result.guidance and result.guidance.repaired),
                    revised=bool(result.guidance and result.guidance.revised),
                    floor=bool(result.guidance and result.guidance.floor),
                    flags=result.flags,
                )
            )
            if progress:
                progress(1)
            if result.status != "complete":
                if progress:
                    progress(scenario.turn_count - index - 1)
                return

    # -- replay ----------------------------------------------------------------------------

    def replay(
        self,
        conversations: list[RecordedConversation],
        replay_file: Path,
        progress: Progress | None = None,
    ) -> RunReport:
        started = _now()
        cases = []
        for conversation in conversations:
            suite, scenario = self._match(conversation, replay_file)
            case = CaseResult(
                suite=suite.name,
                scenario=scenario.id if scenario else "recorded",
                title=scenario.title if scenario else "Recorded conversation",
                focus=scenario.focus if scenario else conversation.focus,
                persona=scenario.persona if scenario else "",
                repeat=0,
                recorded_id=conversation.id or f"line-{conversation.line}",
                replies=[
                    ReplyRecord(
                        index=i,
                        trainee=t.trainee,
                        reply=t.supervisor,
                        status=t.status,
                        sources=t.sources,
                        seconds=t.seconds,
                        first_token_seconds=t.first_token_seconds,
                    )
                    for i, t in enumerate(conversation.turns)
                ],
            )
            cases.append(self.score(suite, scenario, case))
            if progress:
                progress(len(conversation.turns))
        info = self._info("replay", started, None, replay_file)
        return self._report(info, cases)

    def _match(
        self, conversation: RecordedConversation, replay_file: Path
    ) -> tuple[Suite, Scenario | None]:
        where = f"{replay_file}, line {conversation.line}"
        if conversation.suite:
            suite = next((s for s in self.suites if s.name == conversation.suite), None)
            if suite is None:
                raise InputError(
                    f"{where}: suite '{conversation.suite}' is not among the "
                    f"suites given ({', '.join(s.name for s in self.suites)})."
                )
        elif len(self.suites) == 1:
            suite = self.suites[0]
        else:
            raise InputError(f"{where}: name a suite; several suites were given.")
        if not conversation.scenario:
            return suite, None
        scenario = next((s for s in suite.scenarios if s.id == conversation.scenario), None)
        if scenario is None:
            raise InputError(
                f"{where}: suite '{suite.name}' has no scenario '{conversation.scenario}'."
            )
        return suite, scenario

    # -- run record ------------------------------------------------------------------------

    def _info(
        self, mode: str, started: tuple[str, float], retriever, replay_file: Path | None = None
    ) -> RunInfo:
        from importlib.metadata import version

        from coach.knowledge.index import index_version, indexed_hashes
        from coach.knowledge.vectorstore import knowledge_collection
        from coach.llm.templates import prompt_version

        collection = retriever.collection if retriever else knowledge_collection(self.settings)
        finished = _now()
        return RunInfo(
            mode=mode,  # type: ignore[arg-type]
            suites={s.name: s.sha256 for s in self.suites},
            replay_file=str(replay_file) if replay_file else None,
            model=self.settings.model,
            backend=self.settings.llm_backend,
            prompt_version=prompt_version(self.settings.prompts_dir),
            index_version=index_version(indexed_hashes(collection)),
            coder=self.options.coder,
            judge=self.options.judge,
            seed=self.options.seed,
            repeat=self.options.repeat,
            concurrency=self.options.concurrency,
            settings=self.settings.public_dict(),
            started_at=started[0],
            finished_at=finished[0],
            seconds=round(finished[1] - started[1], 2),
            version=version("mie-coach"),
        )

    def _report(self, info: RunInfo, cases: list[CaseResult]) -> RunReport:
        by_suite = {
            s.name: metrics_for([c for c in cases if c.suite == s.name]) for s in self.suites
        }
        return RunReport(run=info, metrics=metrics_for(cases), suites=by_suite, cases=cases)
