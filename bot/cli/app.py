"""The `storybot` app: every command mounted in one place, and `run`, which turns any error into one line."""

from __future__ import annotations

import logging
import sys

import typer

from bot.cli import ask, discord_command, feedback, index_commands, library, model_commands, story_commands
from bot.cli.options import err, out
from evaluation.cli import app as developer_app
from index.errors import StorybotError, UsageError
from retrieval.settings import RuntimeSettings

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Ask a news story a question; get each outlet's own words, cited.")
for commands in (ask.app, library.app, developer_app, feedback.app, discord_command.app):
    app.add_typer(commands)  # without a name: their commands are the app's own
app.add_typer(index_commands.app, name="index")
app.add_typer(story_commands.app, name="story")
app.add_typer(model_commands.app, name="models")


def run(argv: list[str] | None = None) -> int:
    """Run the command line and return its exit code: one-line errors, 2 for usage errors, never a traceback."""
    ask.ARGV[:] = sys.argv[1:] if argv is None else argv
    try:
        _refuse_options_as_values(ask.ARGV)
        code = app(args=argv, prog_name="storybot", standalone_mode=False)
    except KeyboardInterrupt:
        err("interrupted")
        return 130
    except StorybotError as exc:
        err(str(exc))
        return exc.exit_code
    except Exception as exc:  # click's own errors (typer vendors click, so they are recognised by shape)
        if hasattr(exc, "format_message") and isinstance(getattr(exc, "exit_code", None), int):
            ctx = getattr(exc, "ctx", None)
            if type(exc).__name__ == "NoArgsIsHelpError":  # the help is the message (rich has printed it)
                if exc.format_message():
                    out(exc.format_message() + "\n")
                return 2
            where = f"; see `{ctx.command_path} --help`" if ctx is not None else ""
            err(exc.format_message().rstrip(".") + where)
            return exc.exit_code
        if type(exc).__name__ == "Abort":
            err("interrupted")
            return 130
        if RuntimeSettings().debug:
            raise
        err(f"internal error ({type(exc).__name__}); rerun with STORYBOT_DEBUG=1 for details")
        return 1
    return code if isinstance(code, int) else 0


def _refuse_options_as_values(argv: list[str]) -> None:
    """`ask --story --json …` is a usage error, never the story id "--json" (click takes any next word)."""
    import typer.main

    command, args = typer.main.get_command(app), list(argv)
    while args and hasattr(command, "commands") and not args[0].startswith("-"):
        command = command.commands.get(args.pop(0))
        if command is None:
            return  # click reports the unknown command
    options = [p for p in command.params if p.param_type_name == "option"]
    takes_value = {name for p in options if not p.is_flag and not p.count for name in p.opts}
    names = {name for p in options for name in (*p.opts, *p.secondary_opts)} | {"--help"}
    for word, following in zip(args, args[1:]):
        if word == "--":
            return
        if word in takes_value and (following.startswith("--") or following in names):
            raise UsageError(f"{word} needs a value, not the option {following} (write {word}=VALUE for a value "
                             "that begins with '--')")


def main() -> None:
    """Console entry point."""
    logging.basicConfig(level=RuntimeSettings().log_level or "WARNING", format="%(levelname)s %(name)s: %(message)s")
    sys.exit(run())
