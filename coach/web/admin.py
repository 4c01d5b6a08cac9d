"""The admin's view: users, roles and assignments."""

from __future__ import annotations

from typing import Any

import gradio as gr

from coach.storage.access import require_role
from coach.storage.accounts import ROLES, new_password
from coach.web.context import WebContext, shown_errors


def build_admin_tab(ctx: WebContext) -> tuple[gr.Tab, Any]:
    """The Admin tab, and the event that fills it when an admin signs in."""

    def admin(request: gr.Request) -> None:
        require_role(ctx.user(request), "admin")

    def rows() -> list[list[Any]]:
        pairs = ctx.accounts.assignments()
        return [
            [u.username, u.role, u.status(), ", ".join(t for s, t in pairs if s == u.username)]
            for u in ctx.accounts.list()
        ]

    @shown_errors
    def list_users(request: gr.Request) -> list[list[Any]]:
        admin(request)
        return rows()

    @shown_errors
    def landing(request: gr.Request) -> Any:
        return rows() if ctx.user(request).role == "admin" else gr.skip()

    @shown_errors
    def add_user(username: str, role: str, request: gr.Request) -> tuple[list, str]:
        admin(request)
        password = new_password()
        user = ctx.accounts.add(username, role, password)
        return rows(), f"Added {user.role} '{user.username}'. Password (shown once): `{password}`"

    @shown_errors
    def assign(supervisor: str, trainee: str, request: gr.Request) -> tuple[list, str]:
        admin(request)
        ctx.accounts.assign(supervisor, trainee)
        return rows(), f"'{trainee}' is assigned to '{supervisor}'."

    @shown_errors
    def set_role(username: str, role: str, request: gr.Request) -> tuple[list, str]:
        admin(request)
        ctx.accounts.set_role(username, role)
        return rows(), f"'{username}' is now a {role}."

    @shown_errors
    def toggle(username: str, request: gr.Request) -> tuple[list, str]:
        admin(request)
        user = ctx.accounts.get(username)
        ctx.accounts.set_disabled(username, not user.disabled)
        return rows(), f"'{username}' is {'enabled' if user.disabled else 'disabled'}."

    @shown_errors
    def reset_password(username: str, request: gr.Request) -> tuple[list, str]:
        admin(request)
        password = new_password()
        ctx.accounts.set_password(username, password)
        return rows(), f"New password for '{username}' (shown once): `{password}`"

    @shown_errors
    def unlock(username: str, request: gr.Request) -> tuple[list, str]:
        admin(request)
        ctx.accounts.unlock(username)
        return rows(), f"'{username}' can log in again."

    with gr.Tab("Admin", id="admin", visible=False) as tab:
        users = gr.Dataframe(
            headers=["user", "role", "status", "assigned trainees"],
            interactive=False,
            elem_id="users-list",
        )
        message = gr.Markdown()
        with gr.Row():
            username = gr.Textbox(label="Username")
            role = gr.Dropdown(list(ROLES), value="trainee", label="Role")
            add = gr.Button("Add user")
            change_role = gr.Button("Set role")
            disable = gr.Button("Disable / enable")
            reset = gr.Button("New password")
            unlock_button = gr.Button("Unlock")
        with gr.Row():
            supervisor = gr.Textbox(label="Supervisor")
            trainee = gr.Textbox(label="Trainee")
            assign_button = gr.Button("Assign")
        tab.select(list_users, None, users, api_name=False)
        add.click(add_user, [username, role], [users, message], api_name="add_user")
        change_role.click(set_role, [username, role], [users, message], api_name=False)
        disable.click(toggle, username, [users, message], api_name=False)
        reset.click(reset_password, username, [users, message], api_name=False)
        unlock_button.click(unlock, username, [users, message], api_name="unlock")
        assign_button.click(assign, [supervisor, trainee], [users, message], api_name="assign")
        gr.Button("Refresh").click(list_users, None, users, api_name="users")
    return tab, (landing, [users])
