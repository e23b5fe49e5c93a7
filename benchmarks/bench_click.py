"""Click to render in a real browser: self-service, one answer, until the next question is on the screen.

A real ``streamlit run app.py`` server (as the browser tests start it: a fresh SQLite database in a temporary
folder, the shipped trees plus ``bench-chain``, a generated chain of yes/no questions, published at start-up)
and Debian's Chromium at phone size (390 x 844). A customer's session on the chain is opened by its link
(``/?s=<id>``); each timed click is "Yes" on one question, measured in the page with ``performance.now()``
(no Playwright round trip inside the figure):

* **rendered**: from the click to the next question's heading in the page (a ``MutationObserver``);
* **settled**: to the end of the run (the app reads "notRunning" again and nothing stale is left).

The server's share comes from the server itself: the launcher wraps Streamlit's ``ScriptRunner._run_script``
(the callback plus the page or fragment run) with a timer and counts the delta messages each run sends to the
browser, written to a file the benchmark reads after each click. A session runs until the self-service step
budget is near, then a new one is opened (not timed).

    .venv/bin/python benchmarks/bench_click.py [--clicks 60] [--compare DIR]

``--compare DIR`` runs the same series against another checkout (e.g. ``git archive HEAD | tar -x -C DIR``),
alternating the two servers session by session, so both see the same machine load. Target (issue 14):
click-to-render median <= 120 ms. Nothing is asserted; the script prints figures and a PASS/MISS line.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from playwright.sync_api import Browser, Page, sync_playwright
from playwright.sync_api import Error as PlaywrightError

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
TARGET_MS = 120.0
CHAIN_ID = "bench-chain"
CHAIN_STEPS = 26  # below the self-service step budget (30): a session never escalates for its length
PHONE = {"width": 390, "height": 844}

# Imported by the server's interpreter before Streamlit starts: times every script run (callback included) and
# counts what it sends, one line per run: "<ms> <fragment runs> <delta messages> <delta bytes>".
_HOOK = """
import os, sys, time
from streamlit.runtime import app_session as _app
from streamlit.runtime.scriptrunner import script_runner as _sr

_LOG = os.environ["TRIAGE_BENCH_RUNS"]
_SENT = [0, 0]
_run, _enqueue = _sr.ScriptRunner._run_script, _app.AppSession._enqueue_forward_msg

def _timed(self, rerun_data):
    _SENT[:] = [0, 0]
    start = time.perf_counter()
    try:
        return _run(self, rerun_data)
    finally:
        ms = (time.perf_counter() - start) * 1000
        with open(_LOG, "a") as out:
            out.write(f"{ms:.2f} {len(rerun_data.fragment_id_queue or [])} {_SENT[0]} {_SENT[1]}\\n")

def _counted(self, msg):
    if msg.WhichOneof("type") == "delta":
        _SENT[0] += 1
        _SENT[1] += msg.ByteSize()
    return _enqueue(self, msg)

_sr.ScriptRunner._run_script = _timed
_app.AppSession._enqueue_forward_msg = _counted
sys.argv = ["streamlit", *sys.argv[1:]]
from streamlit.web.cli import main
main()
"""

# In the page: click the button labelled ``label`` and resolve, in ms since the click, when the heading that
# contains ``next`` is drawn (not stale) and when the run has ended.
_CLICK = """async ([label, next]) => {
    const app = document.querySelector("[data-testid='stApp']");
    const main = document.querySelector("[data-testid='stMain']");
    const button = [...main.querySelectorAll("button")].find((b) => b.innerText.trim() === label);
    if (!button) throw new Error(`no button ${label}`);
    const shown = () => [...main.querySelectorAll("h3")]
        .some((h) => h.innerText.includes(next) && !h.closest("[data-stale='true']"));
    const idle = () => app.getAttribute("data-test-script-state") === "notRunning"
        && !main.querySelector("[data-stale='true']");
    return await new Promise((resolve, reject) => {
        let rendered = null;
        const start = performance.now();
        const look = () => {
            if (rendered === null && shown()) rendered = performance.now() - start;
            if (rendered !== null && idle()) {
                watch.disconnect();
                clearTimeout(limit);
                resolve([rendered, performance.now() - start]);
            }
        };
        const watch = new MutationObserver(look);
        watch.observe(document.body, {subtree: true, childList: true, characterData: true, attributes: true});
        const limit = setTimeout(() => { watch.disconnect(); reject(new Error(`"${next}" never showed`)); }, 20000);
        button.click();
    });
}"""


def chain_tree(steps: int) -> dict[str, Any]:
    """A tree of ``steps`` yes/no questions in a row: "Yes" goes on, "No" ends resolved."""
    nodes: list[dict[str, Any]] = []
    for i in range(steps):
        nxt = f"q{i + 1:03d}" if i + 1 < steps else "end"
        nodes.append(
            {
                "id": f"q{i:03d}",
                "kind": "question",
                "text": f"Question {i:03d}: is the light on the box still blinking?",
                "options": [
                    {"label": "Yes", "value": "yes", "next": nxt},
                    {"label": "No", "value": "no", "next": "fixed"},
                ],
            }
        )
    nodes += [
        {"id": "fixed", "kind": "outcome", "outcome": "resolved", "text": "Fixed."},
        {
            "id": "end",
            "kind": "outcome",
            "outcome": "escalate",
            "queue": "tier1-support",
            "text": "A person will help.",
        },
    ]
    return {
        "id": CHAIN_ID,
        "title": "Benchmark chain",
        "category": "connectivity",
        "description": "Yes/no questions in a row, for the click benchmark.",
        "start": "q000",
        "nodes": nodes,
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """One app server and what it logged: ``runs`` is the file the hook appends to."""

    name: str
    root: Path
    url: str
    db: str
    runs: Path
    read: int = 0  # lines of ``runs`` already taken
    clicks: list[tuple[float, float, float, int, int, int]] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)  # clicks after which the next question never showed

    def new_runs(self) -> list[list[float]]:
        lines = self.runs.read_text().splitlines() if self.runs.exists() else []
        fresh, self.read = lines[self.read :], len(lines)
        return [[float(x) for x in line.split()] for line in fresh]


@contextlib.contextmanager
def serve(name: str, root: Path, work: Path) -> Iterator[Server]:
    """`streamlit run app.py` from ``root`` with the timing hook, on its own database and a free port."""
    folder = work / name
    trees = folder / "trees"
    shutil.copytree(root / "trees", trees)
    (trees / "connectivity" / f"{CHAIN_ID}.yaml").write_text(yaml.safe_dump(chain_tree(CHAIN_STEPS)))
    db = f"sqlite:///{folder / 'app.db'}"
    runs = folder / "runs.txt"
    port = _free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(root),
        "TRIAGE_TREES": str(trees),
        "TRIAGE_DATABASE_URL": db,
        "TRIAGE_DEMO": "0",
        "TRIAGE_ADMIN_PASSWORD": "bench-admin-pass",
        "TRIAGE_SECRET_KEY": "bench-only-key-that-signs-the-sign-in-cookie",
        "TRIAGE_BENCH_RUNS": str(runs),
    }
    cmd = [
        sys.executable,
        "-c",
        _HOOK,
        "run",
        str(root / "app.py"),
        "--server.headless=true",
        "--server.address=127.0.0.1",
        f"--server.port={port}",
        "--browser.gatherUsageStats=false",
        "--server.fileWatcherType=none",
    ]
    log_path = folder / "streamlit.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, proc, log_path)
        yield Server(name, root, url, db, runs)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.time() + 120
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.read().decode() == "ok":
                    return
        except OSError:
            pass
        if proc.poll() is not None or time.time() > deadline:
            raise SystemExit(f"streamlit did not start (exit {proc.poll()}); see {log_path}")
        time.sleep(0.3)


def _start_session(server: Server) -> str:
    """A customer's session on the chain, started in the server's store (as the start button would)."""
    code = (
        "import sys; from triage.records.store import Store; s = Store(sys.argv[1]); "
        "print(s.start_session(sys.argv[2], mode='self_service').id); s.dispose()"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, server.db, CHAIN_ID],
        env={**os.environ, "PYTHONPATH": str(server.root)},
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip().splitlines()[-1]


def _wait_idle(page: Page) -> None:
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=60_000)


def walk_session(browser: Browser, server: Server, clicks: int) -> None:
    """Open a new session by its link at phone size and click "Yes" down the chain, ``clicks`` times at most."""
    sid = _start_session(server)
    page = browser.new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        page.goto(f"{server.url}/?s={sid}")
        page.get_by_text("Question 000:").first.wait_for(timeout=60_000)
        _wait_idle(page)
        page.wait_for_timeout(300)
        server.new_runs()  # the opening runs are not a click
        yes = page.locator("[data-testid='stMain']").get_by_role("button", name="Yes", exact=True)
        for i in range(min(clicks, CHAIN_STEPS - 1)):
            yes.wait_for(timeout=60_000)  # not timed: the button of the question on the screen
            try:
                rendered, settled = page.evaluate(_CLICK, ["Yes", f"Question {i + 1:03d}:"])
            except PlaywrightError as exc:  # a click that never drew the next question: counted, not timed
                server.lost.append(f"{sid} question {i}: {str(exc).splitlines()[0]}")
                return
            page.wait_for_timeout(150)  # let the run's log line land, and the page breathe as a person would
            runs = server.new_runs()
            server_ms = sum(r[0] for r in runs)
            whole = sum(1 for r in runs if r[1] == 0)
            deltas = int(sum(r[2] for r in runs))
            size = int(sum(r[3] for r in runs))
            server.clicks.append((rendered, settled, server_ms, whole, deltas, size))
    finally:
        page.close()


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def report(server: Server) -> float:
    """Print the server's figures; return the median click-to-render."""
    rows = server.clicks
    rendered = [r[0] for r in rows]
    settled = [r[1] for r in rows]
    on_server = [r[2] for r in rows]
    print(f"\n{server.name}: {server.root} ({len(rows)} clicks)")
    print(f"  {'ms':<28} {'median':>8} {'p90':>8} {'max':>8}")
    for label, values in (
        ("click -> next question", rendered),
        ("click -> run ended", settled),
        ("server run (callback+page)", on_server),
    ):
        print(f"  {label:<28} {statistics.median(values):8.1f} {_pct(values, 0.9):8.1f} {max(values):8.1f}")
    share = statistics.median(on_server) / statistics.median(rendered)
    whole = sum(r[3] for r in rows) / len(rows)
    print(f"  server share of the median click: {share:.0%}; whole-page runs per click: {whole:.2f}")
    print(
        f"  sent per click: {statistics.median([r[4] for r in rows]):.0f} delta messages, "
        f"{statistics.median([r[5] for r in rows]) / 1024:.1f} KiB (medians)"
    )
    for lost in server.lost:
        print(f"  LOST: {lost}")
    return statistics.median(rendered)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--clicks", type=int, default=60, help="timed clicks per server (default 60, at least 50)"
    )
    ap.add_argument("--compare", type=Path, help="another checkout to measure in the same run (the baseline)")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="triage-bench-click-"))
    try:
        with contextlib.ExitStack() as stack:
            servers = [stack.enter_context(serve("this checkout", ROOT, work))]
            if args.compare is not None:
                servers.insert(0, stack.enter_context(serve("baseline", args.compare.resolve(), work)))
            pw = stack.enter_context(sync_playwright())
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
            for server in servers:  # warm-up: imports, caches, the first page of each server
                walk_session(browser, server, 3)
                server.clicks.clear()
            while any(len(s.clicks) < args.clicks for s in servers):
                for server in servers:
                    if len(server.clicks) < args.clicks:
                        walk_session(browser, server, args.clicks - len(server.clicks))
                    if len(server.lost) > 5:
                        raise SystemExit(f"{server.name}: clicks keep getting lost: {server.lost}")
            medians = [report(s) for s in servers]
            browser.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    mine = medians[-1]
    verdict = "PASS" if mine <= TARGET_MS else "MISS"
    line = f"\ntarget: click-to-render median <= {TARGET_MS:.0f} ms: {verdict} ({mine:.1f} ms)"
    if len(medians) == 2:
        line += f"; baseline {medians[0]:.1f} ms, {medians[0] / mine:.2f}x faster"
    print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
