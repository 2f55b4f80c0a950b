"""`flask` commands for first deployments, automation and development."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask

from sop.models import ROLES


def seed_demo_data() -> tuple[list[tuple[str, str, str]], dict[str, int]]:
    """The demo company: accounts with fresh random passwords (returned once, to print)
    and its master data, sales history and budget."""
    from sop.clock import now
    from sop.dev.demo_company import DEMO, CompanyGenerator
    from sop.dev.demo_seed import create_accounts, load_demo_cycles, load_master_data

    today = now().date()
    company = CompanyGenerator(DEMO, today)
    accounts = create_accounts(company)
    return accounts, {**load_master_data(company), **load_demo_cycles(company, today)}


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
        accounts, counts = seed_demo_data()
        click.echo("Demo data: " + ", ".join(f"{n:,} {what.replace('_', ' ')}"
                                             for what, n in counts.items()) + ".")
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

    @app.cli.command("create-cycle")
    @click.argument("month", metavar="YYYY-MM")
    @click.option("--planning-start", metavar="YYYY-MM", default=None,
                  help="M1, the first planned month (default: the cycle's own month).")
    @click.option("--open", "open_it", is_flag=True,
                  help="Open it right away (reps with customers are e-mailed).")
    def create_cycle_command(month: str, planning_start: str | None, open_it: bool) -> None:
        """Create a draft cycle for YYYY-MM, and optionally open it."""
        from sop.cycles.services import CycleError, create_cycle
        from sop.cycles.states import open_cycle
        from sop.months import parse_year_month

        try:
            cycle_month = parse_year_month(month)
            start = parse_year_month(planning_start) if planning_start else None
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from None
        try:
            cycle = create_cycle(None, cycle_month, planning_start=start)
            click.echo(f"Created cycle {cycle.name} ({cycle.label}), planning from "
                       f"{cycle.planning_start:%b %Y}, as a draft.")
            if open_it:
                open_cycle(None, cycle)
                click.echo(f"Opened {cycle.name}: {cycle.horizon_months} months, "
                           f"{cycle.mandatory_months} mandatory; reps with customers are "
                           "being e-mailed.")
        except CycleError as exc:
            raise click.ClickException(str(exc)) from None

    @app.cli.command("create-token")
    @click.option("--email", required=True, help="The account the token acts as.")
    @click.option("--name", required=True, help="What the token is for, e.g. ERP nightly push.")
    @click.option("--scopes", required=True, metavar="read,write[,admin]")
    @click.option("--days", type=int, default=None, help="Expiry in days (default: none).")
    def create_token_command(email: str, name: str, scopes: str, days: int | None) -> None:
        """Create an API token; its secret is printed alone on the last line, this once."""
        from sop.api.tokens import TokenError, create_token
        from sop.models import User

        owner = User.objects(email=email.strip().lower()).first()
        if owner is None:
            raise click.ClickException(f"No account has the e-mail {email}.")
        try:
            created = create_token(None, owner, name, scopes.split(","), days)
        except TokenError as exc:
            raise click.ClickException(str(exc)) from None
        expiry = f"expires {created.token.expires_at:%Y-%m-%d}" if days else "no expiry"
        click.echo(f"Token '{created.token.name}' for {owner.email} "
                   f"({', '.join(created.token.scopes)}; {expiry}). Keep the secret: it is "
                   "shown this once.")
        click.echo(created.secret)

    @app.cli.command("backup")
    @click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
    def backup_command(out: Path) -> None:
        """Write every collection and stored file of the database to OUT (.tar.gz)."""
        from mongoengine.connection import get_db

        from sop.backup import BackupError, write_backup

        try:
            manifest = write_backup(get_db(), out)
        except (BackupError, OSError) as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"Backed up {manifest.summary()} of {manifest.database} to {out}.")

    @app.cli.command("restore")
    @click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--force", is_flag=True,
                  help="Replace everything the database holds with the backup.")
    def restore_command(source: Path, force: bool) -> None:
        """Load a backup written by `flask backup` into the (empty) database."""
        from mongoengine.connection import get_db

        from sop.backup import BackupError, restore_backup
        from sop.db import ensure_indexes
        from sop.settings import invalidate_cache

        try:
            manifest = restore_backup(get_db(), source, force=force)
        except (BackupError, OSError) as exc:
            raise click.ClickException(str(exc)) from None
        ensure_indexes()
        invalidate_cache()
        click.echo(f"Restored {manifest.summary()} from {source} (made "
                   f"{manifest.created_at}); counts and checksums match.")

    @app.cli.command("baseline-csv")
    @click.argument("source", metavar="IN.csv", type=click.Path(dir_okay=False, path_type=Path))
    @click.argument("out", metavar="OUT.csv", type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--horizon", required=True, type=click.IntRange(1, 120),
                  help="Future months to forecast per series.")
    @click.option("--season", default=12, show_default=True, type=click.IntRange(1, 52),
                  help="Season length in periods.")
    @click.option("--jobs", default=None, type=click.IntRange(1, 64),
                  help="Processes fitting at once (default: one per core).")
    def baseline_csv_command(source: Path, out: Path, horizon: int, season: int,
                             jobs: int | None) -> None:
        """Forecast every series of IN.csv (series,period,value; period YYYY-MM) into OUT.csv
        (series,period,forecast,method), with the statistical baseline's engine. Every series
        runs to the file's last month: a month without a row is a month without sales."""
        from sop.baseline.batch import default_processes, forecast_many
        from sop.baseline.csvfile import BaselineInputError, read_series, write_forecasts
        from sop.months import add_months

        try:
            series = read_series(source)
        except BaselineInputError as exc:
            raise click.ClickException(str(exc)) from None
        histories = (((name, add_months(first, len(history))), history)
                     for name, (first, history) in series.items())
        try:
            written = write_forecasts(out, forecast_many(histories, horizon, season,
                                                         jobs or default_processes()))
        except OSError as exc:
            raise click.ClickException(f"{out}: cannot be written ({exc.strerror}).") from None
        click.echo(f"Forecast {written:,} series, {horizon} periods each, into {out}.")

    from sop.workbooks.cli import register_workbook_commands

    register_workbook_commands(app)
