"""structlog (and rich.traceback with it) is imported only when something logs, and the
set-up asked for before that is applied when it is."""

from __future__ import annotations

import subprocess
import sys


def run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=True)


def test_listing_providers_imports_no_structlog() -> None:
    out = run("import sys\n"
              "from ministudio.cli import main\n"
              "sys.argv = ['ministudio', 'providers', 'list']\n"
              "try:\n    main()\nexcept SystemExit:\n    pass\n"
              "print('structlog' in sys.modules, 'rich.traceback' in sys.modules)")
    assert out.stdout.strip().splitlines()[-1] == "False False"


def test_configure_before_import_applies_when_something_logs() -> None:
    out = run("from ministudio.log import configure, get_logger\n"
              "configure(verbosity=1)\n"
              "import sys; assert 'structlog' not in sys.modules\n"
              "get_logger('x').info('hello.lazy', shot='s1')\n"
              "import structlog\n"
              "structlog.get_logger('y').debug('not.shown')\n"
              "structlog.get_logger('y').info('direct.user')\n")
    assert "hello.lazy" in out.stderr and "shot=s1" in out.stderr
    assert "direct.user" in out.stderr and "not.shown" not in out.stderr
    assert out.stdout == ""


def test_library_default_is_quiet_and_app_setup_wins() -> None:
    quiet = run("import ministudio, structlog\n"
                "structlog.get_logger('z').info('info.hidden')\n"
                "structlog.get_logger('z').warning('warn.shown')\n")
    assert "info.hidden" not in quiet.stderr + quiet.stdout and "warn.shown" in quiet.stderr
    app = run("import structlog\n"
              "structlog.configure(processors=[structlog.processors.JSONRenderer()])\n"
              "import ministudio\n"
              "structlog.get_logger('z').info('app.own')\n")
    assert '"event": "app.own"' in app.stdout


def test_events_below_the_level_never_import_structlog_and_bind_keeps_context() -> None:
    out = run("import sys\n"
              "import ministudio\n"
              "from ministudio.log import get_logger\n"
              "log = get_logger('x').bind(output='film.mp4')\n"
              "log.info('assemble.done', mode='copy')\n"
              "log.debug('quiet')\n"
              "print('structlog' in sys.modules)\n"
              "log.warning('assemble.warning', detail='cut')\n"
              "print('structlog' in sys.modules)\n")
    assert out.stdout.split() == ["False", "True"]
    assert "assemble.warning" in out.stderr and "output=film.mp4" in out.stderr
    assert "assemble.done" not in out.stderr and "quiet" not in out.stderr


def test_verbose_configure_lets_info_events_through() -> None:
    out = run("from ministudio.log import configure, get_logger\n"
              "configure(verbosity=1)\n"
              "get_logger('x').bind(shot='s1').info('shot.done')\n"
              "get_logger('x').debug('not.shown')\n")
    assert "shot.done" in out.stderr and "shot=s1" in out.stderr
    assert "not.shown" not in out.stderr
