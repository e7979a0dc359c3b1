"""The `clinscribe` command line: --help everywhere; bad input exits non-zero with one line.

One module per command group: `serve` (serve, worker), `pipeline` (the offline transcribe,
extract, deid and note), `records` (ingest, admin import-records), `db` (migrations) and `admin`
(operator tasks); what they share is in `common`. Each module's commands are added to the
`cli` group here.
"""

from __future__ import annotations

import click
from sqlalchemy.exc import DBAPIError

from clinscribe import __version__
from clinscribe.cli import admin, db, evidence, openemr, pipeline, records, serve
from clinscribe.errors import ClinscribeError, ConfigError

__all__ = ["cli", "main"]


@click.group(help="Clinscribe: speech to reviewed, coded clinical notes.")
@click.version_option(__version__, prog_name="clinscribe")
def cli() -> None:
    pass


for command in (
    serve.serve,
    serve.worker,
    pipeline.extract,
    pipeline.deid,
    pipeline.transcribe,
    pipeline.note,
    records.ingest,
    db.db,
    admin.admin,
    openemr.openemr,
):
    cli.add_command(command)
admin.admin.add_command(records.import_records)
for command in evidence.COMMANDS:
    admin.admin.add_command(command)


def _one_line(message: str) -> str:
    return " ".join(message.split())


def main(argv: list[str] | None = None) -> int:
    """Entry point: every usage, configuration or domain error becomes one line on stderr."""

    def fail(message: str, code: int) -> int:
        click.echo(f"clinscribe: error: {_one_line(message)}", err=True)
        return code

    try:
        cli.main(args=argv, prog_name="clinscribe", standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as exc:
        click.echo(exc.ctx.get_help() if exc.ctx else "")
        return 0
    except click.UsageError as exc:
        return fail(exc.format_message(), 2)
    except click.ClickException as exc:
        return fail(exc.format_message(), exc.exit_code)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.exceptions.Abort:
        return fail("aborted", 130)
    except ConfigError as exc:
        return fail(exc.message, 2)
    except ClinscribeError as exc:
        return fail(exc.message, 1)
    except OSError as exc:
        return fail(str(exc.strerror or exc), 1)
    except DBAPIError as exc:
        text = str(exc.orig)
        if "no such table" in text or ("does not exist" in text and "relation" in text):
            return fail("the database is not migrated; run `clinscribe db upgrade`", 1)
        return fail(f"database unavailable ({type(exc.orig).__name__})", 1)
    return 0
