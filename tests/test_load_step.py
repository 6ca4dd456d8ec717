"""One ASO load step: a script is imported once whether it comes through `aso run`, a profile or the runner.

`aso run` runs as a real process on loopback (ports 47250-47259, the first
free one), standalone: it needs no other device.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from aso_console.profile import load_profile
from aso_runtime.aso import AsoRunner
from aso_runtime.aso.loader import LoadedAso, ScriptError, example_names, load_aso
from aso_runtime.bacnet import InvalidInput

ROOT = Path(__file__).resolve().parent.parent
HOST_PORTS = range(47250, 47260)


def counted_script(tmp_path: Path, name: str = "counted.py") -> tuple[Path, Path]:
    """A script that appends one 'x' to a file each time it is executed."""
    counter = tmp_path / f"{name}.runs"
    script = tmp_path / name
    script.write_text(textwrap.dedent(f'''
        from aso_runtime import Aso

        with open({str(counter)!r}, "a") as runs:
            runs.write("x")

        class Counted(Aso):
            step_interval = 0.2
            level = 1.0

            async def on_step(self):
                pass
    '''))
    return script, counter


def runs(counter: Path) -> int:
    return len(counter.read_text()) if counter.exists() else 0


def test_load_aso_imports_once_and_checks_the_parameters(tmp_path):
    script, counter = counted_script(tmp_path)
    loaded = load_aso(f"{script}:Counted", name="nudge", params={"level": 2.5})
    assert isinstance(loaded, LoadedAso) and runs(counter) == 1
    assert (loaded.name, loaded.cls.__name__, loaded.params, loaded.aso.level) == ("nudge", "Counted", {"level": 2.5}, 2.5)
    with pytest.raises(InvalidInput, match="Counted has no parameter 'colour'"):
        load_aso(str(script), params={"colour": "red"})


@pytest.mark.parametrize(("spec", "message"), [
    ("", "no script given"),
    ("/no/such/file.py", "no such file"),
    ("examples:no_such_example", "no example called 'no_such_example'; available: ahu_functional_check"),
    ("examples:_common", "no example called '_common'"),
    ("no_such_module_here", "no such file or module"),
])
def test_a_bad_spec_is_one_line(spec, message):
    with pytest.raises(ScriptError) as caught:
        load_aso(spec)
    assert message in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize("spec", ["examples:load_shed", "examples:load-shed", "examples:LoadShed"])
def test_examples_are_found_by_module_or_class_name(spec):
    assert load_aso(spec).cls.__name__ == "LoadShed"


def test_the_runtime_does_not_import_its_examples():
    code = textwrap.dedent('''
        import sys
        import aso_runtime, aso_runtime.aso, aso_runtime.aso.loader, aso_runtime.aso.host, aso_runtime.verbs
        import aso_runtime.cli.main, aso_runtime.cli.parser, aso_runtime.cli.verbs, aso_runtime.cli.verb_run
        assert not [m for m in sys.modules if m.startswith("aso_runtime.examples")], "imported with the runtime"
        from aso_runtime.aso.loader import example_names, load_aso
        assert "load_shed" in example_names()
        assert not [m for m in sys.modules if m.startswith("aso_runtime.examples")], "imported to list them"
        load_aso("examples:load_shed")
        loaded = sorted(m for m in sys.modules if m.startswith("aso_runtime.examples."))
        assert loaded == ["aso_runtime.examples._common", "aso_runtime.examples.load_shed"], loaded
    ''')
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert len(example_names()) >= 12


async def test_the_runner_hosts_the_loaded_aso_without_importing_it_again(tmp_path, client):
    script, counter = counted_script(tmp_path)
    loaded = load_aso(str(script), name="once")
    runner = AsoRunner(client, serve_points=False, release_orphans=False, capture_prints=False)
    await runner.open()
    try:
        instance = runner.load(loaded.aso)
        instance.start()
        assert instance.name == "once" and runs(counter) == 1
    finally:
        await runner.close()
    assert runs(counter) == 1


def test_a_profile_loads_each_entry_once_and_a_broken_one_alone(tmp_path):
    good, counter = counted_script(tmp_path)
    broken = tmp_path / "broken.py"
    broken.write_text("def nope(:\n")
    profile = tmp_path / "site.toml"
    profile.write_text(f'[[aso]]\nsource = "{good}"\nname = "a"\nstart = true\nparams = {{ level = 3 }}\n\n'
                       f'[[aso]]\nsource = "{broken}"\n')
    entries = load_profile(profile)
    assert runs(counter) == 0  # reading the profile imports nothing
    assert [(e.source, e.name, e.params, e.start) for e in entries] == [
        (str(good), "a", {"level": 3}, True), (str(broken), None, {}, False)]
    first = entries[0].load()
    assert entries[0].load() is first and runs(counter) == 1 and first.aso.level == 3
    with pytest.raises(ScriptError, match="syntax error"):
        entries[1].load()


def _free_port() -> int:
    for port in HOST_PORTS:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free UDP port in {HOST_PORTS.start}..{HOST_PORTS.stop - 1}")


async def test_aso_run_executes_the_script_once(tmp_path):
    script, counter = counted_script(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_DATA_HOME": str(tmp_path / "data"),
           "XDG_STATE_HOME": str(tmp_path / "state"), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    env.pop("ASO_ADDRESS", None)
    host = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "aso_runtime.cli.main", "--address", f"127.0.0.1/8:{_free_port()}", "--timeout", "1",
        "run", str(script), "--name", "counted", stderr=asyncio.subprocess.PIPE, env=env, cwd=ROOT)
    log = []
    try:
        while not any("hosting ASO counted" in line for line in log):
            line = await asyncio.wait_for(host.stderr.readline(), 30)
            assert line, "".join(log)
            log.append(line.decode())
        assert runs(counter) == 1
    finally:
        host.send_signal(signal.SIGTERM)
        rest = await asyncio.wait_for(host.stderr.read(), 30)
        await asyncio.wait_for(host.wait(), 30)
    assert host.returncode == 0, "".join(log) + rest.decode()
    assert runs(counter) == 1
