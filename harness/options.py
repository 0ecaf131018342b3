"""One option specification for every front end: the Typer CLI, the pytest plugin, Locust's parser,
`servecheck.toml` and `SERVECHECK_*` environment variables.

A command declares its options once (harness/contract/config.py, harness/load/options.py) as `Option`s
bound to its config dataclass, which holds their types and defaults. From that list come the Typer
parameters, the pytest plugin's `--servecheck-*` options and Locust's own arguments. Values resolve,
strongest first: the command line, `SERVECHECK_<FLAG>`, the command's section of the config file
(`--config FILE`, else ./servecheck.toml when present; `${VAR}` in a string is the environment's
VAR), then the default. The command's config object validates the result, once.
"""

from __future__ import annotations

import dataclasses
import inspect
import os
import re
import tomllib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from harness.targets import ConfigError

CONFIG_FILE = "servecheck.toml"
ENV_PREFIX = "SERVECHECK_"
_DEFAULT = object()  # "the config dataclass's default"
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class Option:
    name: str  # the config attribute; its flag (--base-url) also names its variable and its file key
    help: str
    type: type = str  # what the command line takes (the config may hold it parsed: see `parse`)
    default: Any = _DEFAULT
    optional: bool = False  # may be left unset (None)
    flag: str | None = None  # the command-line name, when it is not --<name> ("--no-auth")
    metavar: str | None = None
    parse: Callable[[Any], Any] | None = None  # command-line value -> config value
    show: Callable[[Any], Any] | None = None  # config default -> command-line value
    locust: bool = False  # also one of the Locust plugin's own options (harness/load/options.py)
    pytest: bool = True  # also a --servecheck-* option of the pytest plugin (contract options)

    @property
    def cli(self) -> str:
        return self.flag or "--" + self.name.replace("_", "-")

    @property
    def key(self) -> str:
        """Its name in a config file, and in SERVECHECK_<KEY>: the flag's ("duration", "no_auth")."""
        return self.cli.removeprefix("--").replace("-", "_")

    @property
    def env(self) -> str:
        return ENV_PREFIX + self.key.upper()

    @property
    def annotation(self) -> Any:
        return self.type | None if self.optional else self.type

    def to_config(self, value: Any) -> Any:
        return self.parse(value) if self.parse and value is not None else value


def bind(config: type, options: Sequence[Option]) -> tuple[Option, ...]:
    """The options with their defaults read from the config dataclass (shown as the command line takes
    them), so a default is written once."""
    defaults = {f.name: f.default for f in dataclasses.fields(config)}
    out = []
    for option in options:
        if option.default is _DEFAULT:
            value = defaults[option.name]
            value = option.show(value) if option.show and value is not None else value
            option = dataclasses.replace(option, default=value)
        out.append(option)
    return tuple(out)


def config_values(options: Sequence[Option], values: dict[str, Any]) -> dict[str, Any]:
    """Command-line values -> the config dataclass's keyword arguments."""
    return {o.name: o.to_config(values[o.name]) for o in options if o.name in values}


# --- the config file --------------------------------------------------------------------------------


def _expand(value: Any, where: str) -> Any:
    if isinstance(value, str):

        def env(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in os.environ:
                raise ConfigError(f"{where}: ${{{name}}} is not set in the environment")
            return os.environ[name]

        return _ENV_REF.sub(env, value)
    if isinstance(value, list):
        return ",".join(str(_expand(item, where)) for item in value)  # a list flag is comma-separated
    return value


def read_section(path: Path, section: str, options: Iterable[Option]) -> dict[str, Any]:
    """The `[section]` of a servecheck.toml as option values; ConfigError (one line) for a file that
    cannot be read, a key no option has, or a ${VAR} that is not set."""
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"config file {path}: cannot be read ({exc.strerror or exc})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {path}: not TOML ({exc})") from None
    table = document.get(section, {})
    if not isinstance(table, dict):
        raise ConfigError(f"config file {path}: [{section}] must be a table")
    known = {o.key: o for o in options} | {o.name: o for o in options}  # "duration" or "duration_s"
    values = {}
    for key, value in table.items():
        option = known.get(key.replace("-", "_"))
        if option is None:
            flags = ", ".join(sorted(o.key for o in options))
            raise ConfigError(f"config file {path}: [{section}] has no option {key!r}; options: {flags}")
        where = f"config file {path}: [{section}] {key}"
        values[option.name] = _typed(option, _expand(value, where), where)
    return values


def _typed(option: Option, value: Any, where: str) -> Any:
    """A file's value as the option takes it: text (a ${VAR}, say) is read as the option's type."""
    if isinstance(value, str):
        return value if option.type in (str, Path) else _from_text(option, value, where)
    wanted = {bool: (bool,), int: (int,), float: (int, float)}.get(option.type, ())
    if isinstance(value, wanted) and (option.type is bool or not isinstance(value, bool)):
        return value
    raise ConfigError(f"{where}: {value!r} is not a valid {_KIND[option.type]}")


def default_config_file(given: Path | None) -> Path | None:
    if given is not None:
        return given
    local = Path(CONFIG_FILE)
    return local if local.is_file() else None


def resolve(
    options: Sequence[Option], section: str, given: dict[str, Any], file: Path | None
) -> dict[str, Any]:
    """Values for front ends without click's layering (the pytest plugin): `given` holds what the user
    set (None: not set); then SERVECHECK_*, the file's section, the default."""
    from_file = read_section(file, section, options) if file else {}
    out = {}
    for option in (o for o in options if o.pytest):
        if given.get(option.name) is not None:
            out[option.name] = given[option.name]
        elif option.env in os.environ:
            out[option.name] = _from_text(option, os.environ[option.env], option.env)
        elif option.name in from_file:
            out[option.name] = from_file[option.name]
        else:
            out[option.name] = option.default
    return out


_KIND = {str: "text", Path: "path", int: "integer", float: "number", bool: "boolean"}


def _from_text(option: Option, text: str, where: str) -> Any:
    if option.type is bool:
        return text.strip().lower() in ("1", "true", "yes", "on")
    try:
        return option.type(text)
    except ValueError:
        raise ConfigError(f"{where}: {text!r} is not a valid {_KIND[option.type]}") from None


# --- front ends ----------------------------------------------------------------------------------------


def typer_command(
    options: Sequence[Option], section: str, run: Callable[[dict[str, Any]], None], doc: str
) -> Callable[..., None]:
    """A function Typer turns into a command: a parameter per option (with its SERVECHECK_* variable)
    and `--config`, whose section becomes click's default map before the other options are read."""
    import typer  # the CLI's dependency; Locust processes and the pytest plugin build no commands

    def load_file(ctx: typer.Context, value: Path | None) -> Path | None:
        path = default_config_file(value)
        if path is not None:
            try:
                ctx.default_map = {**(ctx.default_map or {}), **read_section(path, section, options)}
            except ConfigError as exc:
                raise typer.BadParameter(str(exc)) from None
        return value

    # Real classes, not this module's postponed strings: Typer finds the context parameter by its class.
    load_file.__annotations__ = {"ctx": typer.Context, "value": Path | None, "return": Path | None}

    def command(**values: Any) -> None:
        values.pop("config", None)
        run(values)

    config = typer.Option(
        "--config",
        callback=load_file,
        is_eager=True,
        help=f"TOML file setting options in its {section} table (default ./{CONFIG_FILE} if present).",
    )
    params = [
        inspect.Parameter(
            "config", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=Annotated[Path | None, config]
        )
    ]
    for o in options:
        info = typer.Option(o.cli, help=o.help, envvar=o.env, metavar=o.metavar, show_envvar=False)
        params.append(
            inspect.Parameter(
                o.name,
                inspect.Parameter.KEYWORD_ONLY,
                default=o.default,
                annotation=Annotated[o.annotation, info],
            )
        )
    command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    command.__annotations__ = {p.name: p.annotation for p in params}
    command.__doc__ = doc
    return command


def add_pytest_options(group: Any, options: Sequence[Option], prefix: str = "servecheck") -> None:
    """`--servecheck-<name>` for each option; unset ones stay None so `resolve` can layer them."""
    group.addoption(f"--{prefix}-config", dest=f"{prefix}_config", type=Path, help=f"default ./{CONFIG_FILE}")
    for o in (o for o in options if o.pytest):
        dest = f"{prefix}_{o.name}"
        name = f"--{prefix}-" + o.cli.removeprefix("--")
        if o.type is bool:
            group.addoption(name, dest=dest, action="store_true", default=None, help=o.help)
        else:
            group.addoption(
                name, dest=dest, type=o.type, default=None, help=f"{o.help} (default {o.default})"
            )


def add_locust_arguments(parser: Any, options: Sequence[Option]) -> None:
    """The options marked `locust` on Locust's parser (the init_command_line_parser event)."""
    for o in options:
        if o.locust:
            default = "" if o.default is None else o.default
            kind = str if o.type is Path else o.type  # Locust hands options on to workers as text
            parser.add_argument(o.cli, type=kind, default=default, help=o.help.replace("%", "%%"))
