"""`flask import-workbook`, `flask export-workbook`, `flask export-consolidated`: the rep
workbook for admins and automation, through the same service functions as the web."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask import Flask


def _cycle(label: str):
    from sop.cycles.services import cycle_by_label

    try:
        cycle = cycle_by_label(label)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--cycle") from None
    if cycle is None:
        raise click.ClickException(f"There is no cycle {label}: create it with flask "
                                   "create-cycle.")
    return cycle


def _rep(email: str):
    from sop.models import User

    rep = User.objects(email=email.strip().lower()).first()
    if rep is None or rep.role != "sales_rep":
        raise click.ClickException(f"{email} is not a sales rep's e-mail.")
    return rep


def _print_summary(result: dict) -> None:
    total = result["total"]
    for sheet in result["sheets"]:
        click.echo(f"  {sheet['sheet']:<32} {sheet['customer'][:40]:<40} "
                   f"{sheet['lines_kept']:>5} lines  {sheet['cases_m1_m12']:>12,.0f} cases  "
                   f"${sheet['revenue_m1_m12_effective']:>14,.2f}")
    click.echo(f"Total: {total['lines_kept']:,} lines ({total['new_item_lines']:,} new items), "
               f"{total['cases_m1_m12']:,.0f} cases M1-M12 ({total['cases_m1_m16']:,.0f} "
               f"M1-M16), ${total['revenue_m1_m12_effective']:,.2f} M1-M12 at effective prices "
               f"(${total['revenue_m1_m12_entered']:,.2f} at the entered prices).")
    click.echo(f"Lines added {total['added']:,}, changed {total['changed']:,}, removed "
               f"{total['removed']:,}, unchanged {total['unchanged']:,}.")
    click.echo(f"{result['errors']:,} errors, {result['warnings']:,} warnings, "
               f"{result['notes']:,} notes (how the file was read).")
    for code in result["created_customers"]:
        click.echo(f"Customer {code} {'would be ' if result['dry_run'] else ''}created.")
    for code in result["created_items"]:
        click.echo(f"Item {code} {'would be ' if result['dry_run'] else ''}created.")
    for problem in result["problems"]:
        click.echo(f"  {problem['severity']}: {problem['sheet']} row {problem['row']} column "
                   f"{problem['column']} ({problem['value']}): {problem['message']}")


def register_workbook_commands(app: Flask) -> None:
    @app.cli.command("import-workbook")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--rep", "email", required=True, help="The rep's e-mail: whose plan it is.")
    @click.option("--cycle", "label", required=True, metavar="YYYY-MM")
    @click.option("--create-missing", is_flag=True,
                  help="Create unknown customers (from the sheet name, for the rep) and unknown "
                       "items (from code and description) instead of refusing them.")
    @click.option("--dry-run", is_flag=True, help="Check and print; write nothing.")
    @click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
    def import_workbook_command(path: Path, email: str, label: str, create_missing: bool,
                                dry_run: bool, as_json: bool) -> None:
        """Import one rep workbook (.xlsx or .xlsb) into the rep's plan for a cycle."""
        from sop.workbooks.access import WorkbookRefused
        from sop.workbooks.uploads import import_workbook

        cycle, rep = _cycle(label), _rep(email)
        try:
            result = import_workbook(None, cycle, rep, path.name, path.read_bytes(),
                                     create_missing=create_missing, dry_run=dry_run)
        except WorkbookRefused as exc:
            raise click.ClickException(str(exc)) from None
        if as_json:
            click.echo(json.dumps(result, indent=2, sort_keys=True))
        else:
            verb = "Checked (dry run, nothing written)" if dry_run else (
                "Imported" if result["applied"] else "Refused")
            click.echo(f"{verb}: {path.name} for {rep.full_name}, {cycle.name}.")
            _print_summary(result)
        if result["errors"]:
            raise SystemExit(1)

    @app.cli.command("export-workbook")
    @click.option("--rep", "email", required=True, help="The rep's e-mail.")
    @click.option("--cycle", "label", required=True, metavar="YYYY-MM")
    @click.argument("out", type=click.Path(dir_okay=False, writable=True, path_type=Path))
    def export_workbook_command(email: str, label: str, out: Path) -> None:
        """Write the rep's pre-filled workbook for a cycle to OUT.xlsx."""
        from sop.workbooks.download import generate_rep_workbook
        from sop.workbooks.naming import workbook_file_name

        cycle, rep = _cycle(label), _rep(email)
        out.write_bytes(generate_rep_workbook(None, cycle, rep))
        click.echo(f"Wrote {out} (the portal names it \"{workbook_file_name(cycle, rep)}\").")

    @app.cli.command("export-consolidated")
    @click.option("--cycle", "label", required=True, metavar="YYYY-MM")
    @click.argument("out", type=click.Path(dir_okay=False, writable=True, path_type=Path))
    def export_consolidated_command(label: str, out: Path) -> None:
        """Write the consolidated plan of a cycle (every rep, with pivots) to OUT.xlsx."""
        from sop.workbooks.download import export_consolidated

        cycle = _cycle(label)
        out.write_bytes(export_consolidated(None, cycle))
        click.echo(f"Wrote {out}: the consolidated plan of {cycle.name}.")
