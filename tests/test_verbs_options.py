"""One set of connection options, one validation: `aso`, `aso run` and `aso-console` refuse alike.

Every run here must be refused before anything is opened: `aso` gets a
loopback --address on a port this test holds (binding would end in exit 1,
"already in use"), and the console's runtime is replaced by a stand-in that
records being reached.
"""

from __future__ import annotations

import logging

import pytest

import aso_console.__main__ as console_main
from aso_runtime.cli.main import run as aso_run

from .test_cli import held_port

BAD = [
    (["--address", ""], "--address is empty"),
    (["--address", "10.0.0.5/99"], "mask"),
    (["--foreign", " "], "--foreign is empty"),
    (["--foreign", "10.0.0.300"], "not an IPv4 address"),
    (["--ttl", "0"], "'0' must be a positive whole number"),
    (["--ttl", "３０"], "is not a whole number"),
    (["--timeout", "abc"], "'abc' is not a number of seconds"),
    (["--timeout", "7200"], "out of range"),
    (["--instance", "4194303"], "is not a device instance 0..4194302"),
]


def one_error_line(err: str, program: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{program}: error: "), err
    return lines[0]


@pytest.fixture
def console_reached(monkeypatch):
    opened = []

    async def open_nothing(options):  # stands in for the runtime: nothing may get this far
        opened.append(options)
        return 0

    monkeypatch.setattr(console_main, "run", open_nothing)
    return opened


@pytest.fixture(autouse=True)
def _root_handlers():
    handlers = list(logging.getLogger().handlers)
    yield
    logging.getLogger().handlers[:] = handlers  # `aso` adds one per run


@pytest.mark.parametrize(("options", "fragment"), BAD)
def test_aso_aso_run_and_the_console_refuse_the_same_way(options, fragment, capsys, console_reached, monkeypatch):
    monkeypatch.delenv("ASO_ADDRESS", raising=False)
    assert console_main.main(options) == 2
    console = one_error_line(capsys.readouterr().err, "aso-console")
    assert console_reached == [] and fragment in console
    with held_port() as port:
        address = [] if options[0] == "--address" else ["--address", f"127.0.0.1/8:{port}"]
        for verb in (["read", "10.0.0.5", "ai,1"], ["run", "examples:load_shed"]):
            assert aso_run([*address, *options, *verb]) == 2
            line = one_error_line(capsys.readouterr().err, "aso")
            assert fragment in line and "already in use" not in line
            # The same words after `aso:` / `aso-console:` (only the usage hint names the program).
            assert line.split(": error: ")[1].split(" (see")[0] == console.split(": error: ")[1].split(" (see")[0]


def test_the_console_keeps_its_own_defaults_and_options(console_reached):
    assert console_main.main(["--demo", "--read-only", "--demo-devices", "3", "--profile", "site.toml"]) == 0
    options = console_reached[0]
    assert (options.demo, options.read_only, options.demo_devices, options.profile) == (True, True, 8, "site.toml")
    assert (options.instance, options.ttl, options.timeout, options.address, options.foreign) == (
        4194302, 300, 3.0, None, None)
    console_reached.clear()
    assert console_main.main(["--address", " 127.0.0.1/8:47299 ", "--foreign", " 127.0.0.1:47298 ", "--ttl", "60",
                              "--timeout", "1.5", "--instance", "77"]) == 0
    options = console_reached[0]
    assert (options.foreign, options.ttl, options.timeout, options.instance) == ("127.0.0.1:47298", 60, 1.5, 77)
