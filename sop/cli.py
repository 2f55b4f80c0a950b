"""`flask` commands for first deployments, automation and development."""

from __future__ import annotations

import click
from flask import Flask

from sop.models import ROLES

DEMO_PEOPLE = (
    ("admin@example.com", "Avery Admin", "admin"),
    ("manager@example.com", "Morgan Manager", "manager"),
    ("jordan.reyes@example.com", "Jordan Reyes", "sales_rep"),
    ("sam.patel@example.com", "Sam Patel", "sales_rep"),
    ("lee.chen@example.com", "Lee Chen", "sales_rep"),
    ("maria.gomez@example.com", "Maria Gomez", "sales_rep"),
)


def seed_demo_data() -> list[tuple[str, str, str]]:
    """Demo accounts with fresh random passwords; returns (email, role, password) to print."""
    from sop.auth.services import generate_password
    from sop.users.services import create_user

    created = []
    for email, name, role in DEMO_PEOPLE:
        password = generate_password()
        create_user(None, email, name, role, password)
        created.append((email, role, password))
    return created


def register_commands(app: Flask) -> None:
    @app.cli.command("seed-demo")
    @click.option("--if-empty", is_flag=True, help="Only when the database has no users yet.")
    def seed_demo(if_empty: bool) -> None:
        """Create the demo company (accounts, printed once with their passwords)."""
        from sop.models import User

        if User.objects.count():
            if if_empty:
                click.echo("Demo data: already there (reset a password with flask create-user).")
                return
            raise click.ClickException("The database already has users; seed an empty one.")
        accounts = seed_demo_data()
        click.echo("Demo accounts (passwords are shown this once; keep them):")
        for email, role, password in accounts:
            click.echo(f"  {role:<10} {email:<28} {password}")

    @app.cli.command("create-user")
    @click.option("--email", required=True)
    @click.option("--password", required=True, help="At least 10 characters, two kinds.")
    @click.option("--role", required=True, type=click.Choice(ROLES))
    @click.option("--name", "full_name", default="", help="Full name (new accounts).")
    def create_user_command(email: str, password: str, role: str, full_name: str) -> None:
        """Create a user, or reset an existing user's password and role."""
        from sop.users.services import UserError, create_or_reset_user

        try:
            user, created = create_or_reset_user(email, password, role, full_name)
        except UserError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"{'Created' if created else 'Updated'} {user.email} ({user.role}).")
