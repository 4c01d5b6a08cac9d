"""The web app: trainees chat, supervisors review, admins manage accounts.

Gradio's login (backed by the user table) guards every route, and every handler re-checks the
signed-in user's role and what they may see (coach.storage.access): hiding a tab is never the only
protection.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import gradio as gr
import uvicorn
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from coach.ops.health import run_checks
from coach.settings import Settings
from coach.storage.accounts import LOCKOUT, MAX_FAILED_LOGINS, Accounts
from coach.storage.db import open_database
from coach.storage.store import Store
from coach.supervisor.agent import Supervisor
from coach.web.admin import build_admin_tab
from coach.web.context import WebContext, shown_errors
from coach.web.practice import build_practice_tab
from coach.web.supervisor import build_supervisor_tab
from coach.web.trainee import build_trainee_tab

LANDING_TAB = {"trainee": "supervision", "supervisor": "review", "admin": "admin"}
INTRO = (
    "An AI clinical supervisor who models Motivational Interviewing. This is a training tool: "
    "it never treats clients, and it gives no dosing, sourcing or legal advice."
)


def build_app(ctx: WebContext, export_dir: Path) -> gr.Blocks:
    with gr.Blocks(title="MIE-IS Coach") as app:
        with gr.Row():
            gr.Markdown("# MIE-IS Coach\n" + INTRO)
            who = gr.Markdown(elem_id="who")
            gr.Button("Log out", link="/logout", size="sm", scale=0)
        with gr.Tabs() as tabs:
            trainee = build_trainee_tab(ctx)
            practice = build_practice_tab(ctx)
            supervisor, (review_landing, review_outputs) = build_supervisor_tab(ctx, export_dir)
            admin, (admin_landing, admin_outputs) = build_admin_tab(ctx)

        @shown_errors
        def show_for_role(request: gr.Request):
            """Each role lands on its own tab, already filled: never a blank page."""
            user = ctx.user(request)
            return (
                f"Signed in as **{user.username}** ({user.role})",
                gr.Tab(visible=user.role == "trainee"),
                gr.Tab(visible=user.role == "trainee"),
                gr.Tab(visible=user.role == "supervisor"),
                gr.Tab(visible=user.role == "admin"),
                gr.Tabs(selected=LANDING_TAB[user.role]),
            )

        app.load(
            show_for_role, None, [who, trainee, practice, supervisor, admin, tabs], api_name=False
        ).then(review_landing, None, review_outputs, api_name=False).then(
            admin_landing, None, admin_outputs, api_name=False
        )
    return app


def open_context(settings: Settings) -> WebContext:
    factory = open_database(settings)
    store = Store(factory)
    return WebContext(
        agent=Supervisor(settings, store=store), store=store, accounts=Accounts(factory)
    )


def serve(settings: Settings) -> None:
    ctx = open_context(settings)
    if recovered := ctx.store.recover_streaming():
        print(f"Marked {recovered} reply(ies) cut off by a server stop as interrupted.", flush=True)
    if settings.retention_days and (pruned := ctx.store.apply_retention(settings.retention_days)):
        print(
            f"Retention: deleted {pruned} session(s) idle for over {settings.retention_days} days.",
            flush=True,
        )
    created = ctx.accounts.ensure_demo_accounts()
    if created:
        print("Demo accounts (passwords are shown only this once):", flush=True)
        for username, role, password in created:
            print(f"  {role:10} {username:16} {password}", flush=True)
        print("Manage accounts with `mie-coach users`.", flush=True)
    print(
        f"MIE-IS Coach on http://{settings.host}:{settings.port} "
        f"(backend {settings.llm_backend}, model {settings.model})",
        flush=True,
    )
    export_dir = Path(tempfile.mkdtemp(prefix="mie-exports-"))
    blocks = build_app(ctx, export_dir).queue(default_concurrency_limit=2)
    server = gr.mount_gradio_app(
        health_api(settings),
        blocks,
        path="/",
        show_error=False,
        auth=lambda username, password: ctx.accounts.authenticate(username, password) is not None,
        auth_message=f"Sign in with your MIE-IS Coach account. After {MAX_FAILED_LOGINS} wrong "
        f"passwords in a row an account is locked for "
        f"{LOCKOUT.total_seconds() / 60:.0f} minutes; an admin can unlock it.",
        allowed_paths=[str(export_dir)],
    )
    # Open event streams (browsers, API clients) must not hold a stop for ever.
    uvicorn.run(
        server,
        host=settings.host,
        port=settings.port,
        log_level="warning",
        timeout_graceful_shutdown=3,
    )


def health_api(settings: Settings) -> FastAPI:
    """``GET /health``: the quick form of ``mie-coach doctor``, open to load balancers, so it
    names each part, its status and the fix, never a path, URL or count."""
    api = FastAPI()

    @api.get("/health")
    def health() -> JSONResponse:
        checks = run_checks(settings, deep=False)
        ok = all(c.ok for c in checks)
        body = {
            "status": "ok" if ok else "failing",
            "checks": {
                c.name: {"ok": c.ok, "fix": c.fix} if c.fix else {"ok": c.ok} for c in checks
            },
        }
        return JSONResponse(body, status_code=200 if ok else 503)

    return api
