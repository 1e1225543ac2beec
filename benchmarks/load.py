"""A class on one server: concurrent sessions over Streamlit's websocket protocol, no browser.

Run from the repository root::

    python -m benchmarks.load                          # 30 sessions x 5 runs on every page
    python -m benchmarks.load --sessions 10 --runs 3 --pages home,forward_pass
    python -m benchmarks.load --malloc-arena-max 2     # the server with MALLOC_ARENA_MAX=2
    python -m benchmarks.load --rounds 3 --heavy-sessions 0   # every page three times

It starts its own ``streamlit run streamlit_app.py`` on 127.0.0.1 (tests/browser/conftest.py's
helpers; no file watcher, as on a class's server where the files do not change) and drives it
as the browser's frontend does: each session opens the websocket
``/_stcore/stream`` (subprotocol "streamlit"), sends a ``rerun_script`` BackMsg with the page's
URL path (``page_name``) and query string, and reads ForwardMsgs until the run's
``script_finished``. Like the browser's message cache, a session keeps the hash of every
message the server marks cacheable (an element of at least ``global.minCachedMessageSize``,
10 kB: most charts) and lists them with each run request, so the server sends a short reference
instead of an element the session already holds. Every figure is printed next to its target;
nothing is asserted.

1. Warm-up: once the server's startup has computed every default result (its log's
   ``pages.ui.startup.DEFAULTS_READY`` line), one session per page opens its default URL once
   (imports, charts built and cached), then the server's resident memory is taken as its idle
   value.
2. Load: page by page, ``--sessions`` sessions connect at once and each runs the page's
   default URL ``--runs`` times in a row (a rerun of the page, cache warm), all pages in turn
   ``--rounds`` times (1). Per page: the median and 95th percentile of a run (send to
   ``script_finished``), p95 over the same round's Home p95 (target at most 2; with several
   rounds the median over the rounds, and each round's ratio: one round is one sample of a
   noisy ratio), errors (target 0: an exception or error box on the page, a compile
   error, a lost connection or a run over ``--timeout``), the server's CPU seconds per
   script run (user + system time from /proc/PID/stat over the page's load phase, divided by
   its runs), and that over the same round's Home CPU per run (no target: the server is
   bound to one core by the interpreter lock, so a page's p95 ratio tracks this one, within
   the spread of the rounds' tails).
3. Heavy: for each simulation page, ``--heavy-sessions`` sessions at once on each of its
   heaviest allowed URLs (``benchmarks.pages.heaviest_links``): time and errors.
4. Memory: the server's peak resident memory over the whole run (VmHWM, target at most
   500 MB), and its resident memory ``--settle`` seconds after the last session closed,
   against the idle value (target within 100 MB).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.asyncio.client import connect

from benchmarks.pages import heaviest_links, wait_for_log_line
from lab.controls.registry import SIMULATION_PAGES
from lab.validation import check_int
from pages.ui.registry import HOME_KEY, PAGES, PageInfo
from pages.ui.startup import DEFAULTS_READY
from quizzes.pages import ALL_PAGES

REPO_ROOT = Path(__file__).resolve().parent.parent
APP = REPO_ROOT / "streamlit_app.py"
#: Targets of the class-on-one-server benchmark.
P95_RATIO_TARGET = 2.0
PEAK_RSS_TARGET_MB = 500.0
HELD_RSS_TARGET_MB = 100.0
#: Bounds: sessions and runs a command line may ask for, and the largest message accepted.
MAX_SESSIONS = 200
MAX_RUNS = 50
MAX_ROUNDS = 10
MAX_MESSAGE_BYTES = 256 * 1024 * 1024
FINISHED_EARLY = ForwardMsg.ScriptFinishedStatus.Value("FINISHED_EARLY_FOR_RERUN")
COMPILE_ERROR = ForwardMsg.ScriptFinishedStatus.Value("FINISHED_WITH_COMPILE_ERROR")


# --------------------------------------------------------------------------- one session


@dataclass
class Runs:
    """Seconds of each completed script run, the errors met (one line each), and how many
    messages the server sent as a reference to one the session already held."""

    seconds: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    references: int = 0

    def add(self, other: Runs) -> None:
        self.seconds += other.seconds
        self.errors += other.errors
        self.references += other.references


async def _until_finished(websocket, cached: set[str], result: Runs) -> str | None:
    """Read ForwardMsgs until the run's last ``script_finished``; the first error seen (an
    exception element, an error box, a compile error) or None. The hash of every message the
    server marks cacheable is added to ``cached``, as the browser's message cache keeps it, and
    each reference to one of them is counted in ``result.references``."""
    error = None
    while True:
        message = ForwardMsg.FromString(await websocket.recv())
        if message.metadata.cacheable and message.hash:
            cached.add(message.hash)
        kind = message.WhichOneof("type")
        if kind == "ref_hash":
            result.references += 1
        if kind == "delta" and message.delta.WhichOneof("type") == "new_element":
            element = message.delta.new_element
            which = element.WhichOneof("type")
            if which == "exception" and error is None:
                error = f"exception: {element.exception.type}: {element.exception.message[:200]}"
            elif which == "alert" and element.alert.format == Alert.ERROR and error is None:
                error = f"error box: {element.alert.body[:200]}"
        elif kind == "page_not_found" and error is None:
            error = f"page not found: {message.page_not_found.page_name!r}"
        elif kind == "script_finished":
            if message.script_finished == COMPILE_ERROR:
                return error or "compile error"
            if message.script_finished != FINISHED_EARLY:  # st.rerun: another run follows
                return error


async def session(ws_url: str, link: str, runs: int, timeout: float) -> Runs:
    """One browser-like session: connect, then ``runs`` script runs of ``link`` (a URL path
    with its query, e.g. ``./forward-pass?layers=6``) one after the other. Like the browser,
    each run request lists the messages the session already holds (``cached_message_hashes``),
    and the server sends a reference instead of any of them that the run draws again."""
    parts = urlsplit(link)
    page_name = parts.path.removeprefix("./").strip("/")
    result = Runs()
    cached: set[str] = set()
    try:
        async with connect(
            ws_url, subprotocols=["streamlit"], max_size=MAX_MESSAGE_BYTES, open_timeout=timeout
        ) as websocket:
            for _ in range(runs):
                message = BackMsg()
                message.rerun_script.query_string = parts.query
                message.rerun_script.page_name = page_name
                message.rerun_script.cached_message_hashes.extend(sorted(cached))
                start = time.perf_counter()
                await websocket.send(message.SerializeToString())
                error = await asyncio.wait_for(_until_finished(websocket, cached, result), timeout)
                result.seconds.append(time.perf_counter() - start)
                if error:
                    result.errors.append(error)
    except TimeoutError:
        result.errors.append(f"no script_finished within {timeout:g} s")
    except Exception as error:  # a refused or lost connection is an error of the run
        result.errors.append(f"{type(error).__name__}: {error}")
    return result


async def _sessions(ws_url: str, link: str, count: int, runs: int, timeout: float) -> Runs:
    results = await asyncio.gather(*(session(ws_url, link, runs, timeout) for _ in range(count)))
    total = Runs()
    for one in results:
        total.add(one)
    return total


def sessions(ws_url: str, link: str, count: int, runs: int, timeout: float) -> Runs:
    """``count`` sessions at once, each with ``runs`` runs of ``link``."""
    return asyncio.run(_sessions(ws_url, link, count, runs, timeout))


# --------------------------------------------------------------------------- the server


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far (/proc/PID/stat fields 14, 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _memory_mb(pid: int) -> dict[str, float]:
    """VmRSS (resident now) and VmHWM (peak resident) of process ``pid``, in MB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0]) / 1024
    return values


#: The server's settings for a class: the files do not change during it, so no file watcher
#: (in a shared working tree it would also reload modules under the load).
SERVER_ENV = {"STREAMLIT_SERVER_FILE_WATCHER_TYPE": "none"}


@contextmanager
def server(log_dir: Path, malloc_arena_max: int | None) -> Iterator[tuple[int, str]]:
    """A fresh ``streamlit run`` of the app (``SERVER_ENV``, and ``MALLOC_ARENA_MAX`` when
    given): its pid and its websocket URL, once its default results are computed."""
    from tests.browser.conftest import free_port, start_streamlit, stop_streamlit, wait_healthy

    port = free_port()
    log = log_dir / f"load-{port}.log"
    env = dict(SERVER_ENV)
    if malloc_arena_max is not None:
        env["MALLOC_ARENA_MAX"] = str(malloc_arena_max)
    previous = {name: os.environ.get(name) for name in env}
    os.environ.update(env)  # the server inherits this process's environment
    try:
        process = start_streamlit(APP, port, log)
    finally:
        for name, value in previous.items():
            if value is None:
                del os.environ[name]
            else:
                os.environ[name] = value
    try:
        wait_healthy(f"http://127.0.0.1:{port}", process, log)
        seconds = wait_for_log_line(log, DEFAULTS_READY, process)
        print(f"Default results computed {seconds:.0f} s after the server was ready", flush=True)
        yield process.pid, f"ws://127.0.0.1:{port}/_stcore/stream"
    finally:
        stop_streamlit(process)


# --------------------------------------------------------------------------- the benchmark


@dataclass
class PageLoad:
    key: str
    runs: Runs
    cpu_per_run: float


def default_link(info: PageInfo) -> str:
    """The page's default URL as the browser holds it after the first run: a simulation page
    writes its controls' values into the query (a run without them rewrites the URL, which a
    student's later runs do not)."""
    if info.key == HOME_KEY:
        return "./"
    controls = ALL_PAGES.get(info.key)
    if controls is None or not controls.controls:
        return f"./{info.url_path}"
    return controls.link(controls.applied(controls.defaults()))


def _percentile(values: Sequence[float], share: float) -> float:
    """The ``share`` quantile (nearest rank) of ``values``; NaN when there are none."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def _status(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def print_load_table(rounds: list[list[PageLoad]], count: int, runs: int) -> None:
    """Per page: the median over the rounds of p50, p95 and p95 over that round's Home p95
    (with its range when there are several rounds), errors, CPU seconds per run and over
    that round's Home CPU per run, and the messages per run the server sent as references to
    ones the session held."""
    several = len(rounds) > 1
    title = f"median of {len(rounds)} rounds, " if several else ""
    print(f"\nScript runs, {count} concurrent sessions x {runs} runs, cache warm ({title}p95 over")
    print("the same round's Home p95):")
    print(
        f"  {'page':<22} {'p50 s':>7} {'p95 s':>7} {'p95/Home':>9} {'(≤ 2)':>6} "
        f"{'errors':>6} {'(0)':>4} {'CPU s/run':>9} {'CPU/Home':>8} {'refs/run':>8}"
        + ("  ratio per round" if several else "")
    )
    for index, key in enumerate(load.key for load in rounds[0]):
        ratios, p50s, p95s, cpus, cpu_ratios, references, errors = [], [], [], [], [], [], 0
        for loads in rounds:
            home_load = next(x for x in loads if x.key == HOME_KEY)
            home = _percentile(home_load.runs.seconds, 0.95)
            load = loads[index]
            p95 = _percentile(load.runs.seconds, 0.95)
            ratios.append(p95 / home)
            p50s.append(_percentile(load.runs.seconds, 0.5))
            p95s.append(p95)
            cpus.append(load.cpu_per_run)
            home_cpu = home_load.cpu_per_run  # 0 when every Home run failed, or under a tick
            cpu_ratios.append(load.cpu_per_run / home_cpu if home_cpu > 0 else float("nan"))
            references.append(load.runs.references / max(len(load.runs.seconds), 1))
            errors += len(load.runs.errors)
        ratio = statistics.median(ratios)
        per_round = "  " + " ".join(f"{r:.2f}" for r in ratios) if several else ""
        print(
            f"  {key:<22} {statistics.median(p50s):>7.2f} {statistics.median(p95s):>7.2f} "
            f"{ratio:>9.2f} {_status(ratio <= P95_RATIO_TARGET):>6} {errors:>6} "
            f"{_status(errors == 0):>4} {statistics.median(cpus):>9.3f} "
            f"{statistics.median(cpu_ratios):>8.2f} {statistics.median(references):>8.1f}"
            f"{per_round}"
        )


def run_benchmark(args: argparse.Namespace) -> None:
    """Start the server, run the phases of the module docstring and print the report."""
    keys = [info.key for info in PAGES if info.path.is_file()]
    if args.pages:
        asked = [key.strip() for key in args.pages.split(",") if key.strip()]
        unknown = sorted(set(asked) - set(keys))
        if unknown:
            raise SystemExit(f"--pages must name pages of {', '.join(keys)}; got {unknown}")
        keys = [HOME_KEY] + [key for key in asked if key != HOME_KEY]  # Home: the reference
    infos = {info.key: info for info in PAGES}
    arena = args.malloc_arena_max or os.environ.get("MALLOC_ARENA_MAX", "unset (mallopt: 2)")
    print(
        f"Load: {args.sessions} sessions x {args.runs} runs per page, {os.cpu_count()} CPUs, "
        f"server MALLOC_ARENA_MAX={arena}",
        flush=True,
    )
    started = time.monotonic()
    with (
        tempfile.TemporaryDirectory() as folder,
        server(Path(folder), args.malloc_arena_max) as (pid, ws_url),
    ):
        fresh = _memory_mb(pid)["VmRSS"]
        warm_up = {}
        for key in keys:
            warm_up[key] = sessions(ws_url, default_link(infos[key]), 1, 1, args.timeout)
        time.sleep(args.settle)
        idle = _memory_mb(pid)["VmRSS"]

        rounds: list[list[PageLoad]] = []
        for _ in range(args.rounds):
            loads = []
            for key in keys:
                cpu = _cpu_seconds(pid)
                runs = sessions(
                    ws_url, default_link(infos[key]), args.sessions, args.runs, args.timeout
                )
                done = max(len(runs.seconds), 1)
                loads.append(PageLoad(key, runs, (_cpu_seconds(pid) - cpu) / done))
            rounds.append(loads)

        heavy = []
        if args.heavy_sessions:
            for key in keys:
                if key not in SIMULATION_PAGES:
                    continue
                for link in heaviest_links(key):
                    start = time.perf_counter()
                    runs = sessions(ws_url, link, args.heavy_sessions, 1, args.timeout)
                    heavy.append((key, link, time.perf_counter() - start, runs))

        time.sleep(args.settle)
        memory = _memory_mb(pid)
    elapsed = time.monotonic() - started

    print("\nWarm-up (one session per page, cold cache), seconds: ", end="")
    print(", ".join(f"{key} {_percentile(r.seconds, 0.5):.2f}" for key, r in warm_up.items()))
    all_errors = []
    for load in (load for loads in rounds for load in loads):
        all_errors += [f"{load.key}: {e}" for e in load.runs.errors]
    print_load_table(rounds, args.sessions, args.runs)
    if heavy:
        print(f"\nHeaviest allowed URLs, {args.heavy_sessions} concurrent sessions each:")
        print(f"  {'page':<22} {'wall s':>7} {'errors':>6} {'(0)':>4}  URL")
        for key, link, seconds, runs in heavy:
            all_errors += [f"{key} heavy: {e}" for e in runs.errors]
            errors = len(runs.errors)
            print(f"  {key:<22} {seconds:>7.2f} {errors:>6} {_status(errors == 0):>4}  {link}")
    peak, after = memory["VmHWM"], memory["VmRSS"]
    print("\nServer memory (resident):")
    print(f"  fresh server {fresh:.0f} MB; idle after the warm-up {idle:.0f} MB")
    print(
        f"  peak over the whole run (VmHWM) {peak:.0f} MB   target ≤ {PEAK_RSS_TARGET_MB:.0f} MB"
        f"   {_status(peak <= PEAK_RSS_TARGET_MB)}"
    )
    print(
        f"  {args.settle:g} s after the load {after:.0f} MB, {after - idle:+.0f} MB against idle"
        f"   target ≤ +{HELD_RSS_TARGET_MB:.0f} MB   {_status(after - idle <= HELD_RSS_TARGET_MB)}"
    )
    print(f"\nTotal errors {len(all_errors)} (target 0); wall time {elapsed:.0f} s")
    for line in sorted(set(all_errors))[:20]:
        print(f"  {line}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=30, help="concurrent sessions per page")
    parser.add_argument("--runs", type=int, default=5, help="script runs per session")
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="repeat the load phase over every page (a round's ratios use that round's Home)",
    )
    parser.add_argument(
        "--pages", default="", help="comma-separated page keys (default: every page)"
    )
    parser.add_argument(
        "--heavy-sessions",
        type=int,
        default=3,
        help="sessions at once on each heaviest allowed URL (0: skip that phase)",
    )
    parser.add_argument(
        "--malloc-arena-max",
        type=int,
        default=None,
        help="set MALLOC_ARENA_MAX for the server (default: inherited, usually unset; the "
        "app's startup limits the arenas to 2 itself when the variable is unset)",
    )
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds per script run")
    parser.add_argument(
        "--settle", type=float, default=5.0, help="seconds to wait before reading memory"
    )
    args = parser.parse_args(argv)
    try:  # a bad value gets argparse's one-line message, not a traceback
        args.sessions = check_int("sessions", args.sessions, 1, MAX_SESSIONS)
        args.runs = check_int("runs", args.runs, 1, MAX_RUNS)
        args.rounds = check_int("rounds", args.rounds, 1, MAX_ROUNDS)
        args.heavy_sessions = check_int("heavy_sessions", args.heavy_sessions, 0, MAX_SESSIONS)
        if args.malloc_arena_max is not None:
            args.malloc_arena_max = check_int("malloc_arena_max", args.malloc_arena_max, 1, 64)
    except ValueError as error:
        parser.error(str(error))
    if not 1.0 <= args.timeout <= 3600.0:
        raise SystemExit(f"--timeout must be in [1, 3600] seconds; got {args.timeout:g}")
    if not 0.0 <= args.settle <= 600.0:
        raise SystemExit(f"--settle must be in [0, 600] seconds; got {args.settle:g}")
    run_benchmark(args)


if __name__ == "__main__":
    main(sys.argv[1:])
