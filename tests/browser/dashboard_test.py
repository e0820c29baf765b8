#!/usr/bin/env python3
"""Browser test of GET /ai_usage/dashboard, against `ai-usage serve` and a seeded table.

    scripts/with-local-dynamodb python3 tests/browser/dashboard_test.py \\
        --ai-usage .build/debug/ai-usage --screenshots build/screenshots

Runs under scripts/with-local-dynamodb (which exports AWS_ENDPOINT_URL_DYNAMODB and
credentials), with Debian's python3 and chromium only. It creates and seeds a table of its
own, serves the API on a free port, and drives a headless chromium (tests/browser/cdp.py)
through the dashboard: totals against the JSON API to the last digit, the daily chart, a click
on a day, the empty and error states, a server that went away, the 375 px layout, and no
request leaving 127.0.0.1, no CSP violation, no uncaught exception.

Prints one `dashboard-test: ok: ...` line per check; exits 0 when all pass, 1 at the first
failure (expected vs actual). Chromium, the server, the table and temporary files are always
cleaned up.
"""

import argparse
import datetime
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
from decimal import ROUND_HALF_EVEN, Decimal

sys.dont_write_bytecode = True  # leave no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cdp import Browser, CDPError, WaitTimeout  # noqa: E402

NAME = "dashboard-test"
TIMEOUT = 30.0  # seconds, for every wait: generous, for a busy 2-core machine
COMMAND_TIMEOUT = 600.0  # seconds for one ai-usage command (seeding writes 1,200 items)
START, END = "2026-11-01", "2026-11-30"
PREFERRED_DAY = "2026-11-10"
CENT = Decimal("0.01")
FOUR_PLACES = Decimal("0.0001")  # the API rounds costs to 4 places
DECIMAL_TEXT = re.compile(r"-?\d+(\.\d+)?")

# Requests go straight to 127.0.0.1, whatever http_proxy says.
_direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class Failure(Exception):
    """A check failed; the message says what was expected and what was found."""


class Terminated(Exception):
    """SIGTERM arrived (a CI timeout, a killed make): stop, but clean up first."""


def _on_sigterm(signum, frame):
    raise Terminated()


def ok(message):
    print(f"{NAME}: ok: {message}", flush=True)


def note(message):
    print(f"{NAME}: note: {message}", flush=True)


def expect_equal(actual, expected, what):
    if actual != expected:
        raise Failure(f"{what}: expected {expected!r}, got {actual!r}")
    ok(f"{what} = {actual!r}" if len(repr(actual)) <= 80 else what)


def expect(condition, what, detail):
    if not condition:
        raise Failure(f"{what}: {detail}")
    ok(what)


# ---------------------------------------------------------------------------------------------
# Numbers as the page must show them
# ---------------------------------------------------------------------------------------------


def number_text(value):
    """A JSON number as the API wrote it (parsed with parse_float=Decimal): no exponent."""
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise Failure(f"expected a JSON number, got {value!r}")
    return format(value, "f") if isinstance(value, Decimal) else str(value)


def dollars(value):
    """`$` + value rounded half-even to cents, with `,` thousands separators: $1,234.57."""
    return "$" + format(Decimal(value).quantize(CENT, rounding=ROUND_HALF_EVEN), ",.2f")


def grouped(value):
    """An integer with `,` thousands separators: 12,345."""
    return format(int(value), ",")


def days(start, end):
    first = datetime.date.fromisoformat(start)
    last = datetime.date.fromisoformat(end)
    return [(first + datetime.timedelta(n)).isoformat() for n in range((last - first).days + 1)]


# ---------------------------------------------------------------------------------------------
# HTTP, the ai-usage binary and its server
# ---------------------------------------------------------------------------------------------


def http_get(url, timeout=TIMEOUT):
    """(status, headers, body text) of a GET; an HTTP error status is an answer too."""
    try:
        with _direct.open(url, timeout=timeout) as response:
            return response.status, response.headers, response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers, error.read().decode("utf-8", "replace")


def get_json(url, expected_status=200):
    status, _, body = http_get(url)
    if status != expected_status:
        raise Failure(f"GET {url}: expected status {expected_status}, got {status}: {body[:500]}")
    try:
        return json.loads(body, parse_float=Decimal)
    except ValueError as error:
        raise Failure(f"GET {url}: the body is not JSON ({error}): {body[:500]}") from None


def run_ai_usage(binary, *args, timeout=COMMAND_TIMEOUT):
    """Run `ai-usage ARGS` in this environment; its output, or a Failure with its stderr."""
    command = [binary, *args]
    try:
        done = subprocess.run(
            command, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        raise Failure(f"`{' '.join(command)}` did not finish within {timeout:g} s") from None
    except OSError as error:
        raise Failure(f"cannot run `{' '.join(command)}`: {error}") from None
    if done.returncode != 0:
        raise Failure(
            f"`{' '.join(command)}` exited with status {done.returncode}:\n"
            f"{(done.stderr or done.stdout).strip()[-2000:]}"
        )
    return done.stdout


def has_subcommand(binary, group, name):
    """Whether `ai-usage GROUP --help` lists the subcommand NAME."""
    try:
        text = run_ai_usage(binary, group, "--help", timeout=TIMEOUT)
    except Failure:
        return False
    return re.search(rf"^\s+{re.escape(name)}\b", text, re.MULTILINE) is not None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`ai-usage serve` on a free port of 127.0.0.1, its log in a file."""

    def __init__(self, binary, table, log_dir):
        self.binary, self.table = binary, table
        self.log_path = os.path.join(log_dir, "serve.log")
        self.process = None
        self.port = None

    @property
    def base(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        env = dict(os.environ, DYNAMODB_TABLE_NAME=self.table, AI_USAGE_CACHE_TTL_SECONDS="0")
        # The port is released before the server binds it, so another process may take it in
        # between: a server that exits at once is retried on another port.
        for attempt in range(1, 4):
            self.port = free_port()
            with open(self.log_path, "ab") as log:
                self.process = subprocess.Popen(
                    [self.binary, "serve", "--port", str(self.port)],
                    stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env,
                )
            if self._wait_until_up():
                return
            note(f"the server exited at start (attempt {attempt}); retrying on another port")
        raise Failure(f"`ai-usage serve` did not start; its log ends with:\n{self.log_tail()}")

    def _wait_until_up(self):
        """True once GET /ai_usage answers at all; False if the process exited first."""
        deadline = time.monotonic() + TIMEOUT
        while True:
            if self.process.poll() is not None:
                return False
            try:
                # A refused connection fails at once; a slow first answer gets the time left.
                http_get(f"{self.base}/ai_usage", timeout=max(deadline - time.monotonic(), 1.0))
                return True
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise Failure(
                    f"GET {self.base}/ai_usage did not answer within {TIMEOUT:g} s; "
                    f"the server's log ends with:\n{self.log_tail()}"
                )
            time.sleep(0.1)  # polling interval

    def stop(self):
        """Stop the server (SIGTERM, then SIGKILL); its exit status."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=TIMEOUT)
        return self.process.returncode

    def log_tail(self, lines=20):
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return "(no log)"


# ---------------------------------------------------------------------------------------------
# What the page says
# ---------------------------------------------------------------------------------------------

# The page's state and everything the checks read, in one evaluation.
SNAPSHOT_JS = r"""
(() => {
  const text = e => e ? e.textContent.replace(/\s+/g, ' ').trim() : null;
  const number = id => {
    const e = document.getElementById(id);
    return e ? {value: e.getAttribute('data-value'), text: text(e)} : null;
  };
  const status = document.getElementById('status');
  const element = id => {
    const e = document.getElementById(id);
    return e ? {tag: e.tagName.toLowerCase(), type: e.getAttribute('type'), inForm: !!e.form,
                text: text(e)} : null;
  };
  return {
    href: location.href,
    state: status ? status.getAttribute('data-state') : null,
    statusText: text(status),
    totalCost: number('total-cost'),
    totalCalls: number('total-calls'),
    totalTokens: number('total-tokens'),
    averageCost: number('average-cost'),
    unpricedCalls: number('unpriced-calls'),
    downloadCsv: element('download-csv'),
    apply: element('apply'),
    rangeLabel: element('range-label'),
    bars: Array.from(document.querySelectorAll('#chart svg g.day-bar')).map(g => ({
      date: g.getAttribute('data-date'),
      cost: g.getAttribute('data-cost'),
      tabindex: g.getAttribute('tabindex'),
      title: text(g.querySelector(':scope > title')),
    })),
    scrollWidth: document.documentElement.scrollWidth,
  };
})()
"""

# The state once it has left `loading` (null while loading or before the script has run).
SETTLED_STATE_JS = r"""
(() => {
  const s = document.getElementById('status');
  const state = s && s.getAttribute('data-state');
  return ['ready', 'empty', 'error'].includes(state) ? state : null;
})()
"""


def state_is_js(state):
    return (
        "(() => { const s = document.getElementById('status');"
        f" return !!s && s.getAttribute('data-state') === {json.dumps(state)}; }})()"
    )


def snapshot(browser):
    return browser.evaluate(SNAPSHOT_JS)


def describe(snap):
    """The parts of a snapshot that explain a failed wait."""
    if not snap:
        return "no document"
    return (
        f"url {snap['href']}, data-state {snap['state']!r}, #status text {snap['statusText']!r}, "
        f"{len(snap['bars'])} day bars"
    )


def wait_until(browser, condition, what, timeout=TIMEOUT):
    """Wait for a JS condition; on timeout, a Failure that shows the page's state."""
    try:
        return browser.wait_for(condition, timeout=timeout, description=what)
    except WaitTimeout as error:
        try:
            state = describe(snapshot(browser))
        except CDPError as snapshot_error:
            state = f"(cannot read the page: {snapshot_error})"
        raise Failure(f"{error}; the page: {state}") from None


def wait_settled(browser, what):
    return wait_until(browser, SETTLED_STATE_JS, f"#status data-state to leave 'loading' ({what})")


def set_viewport(browser, width, height, mobile):
    browser.set_viewport(width, height, mobile=mobile)
    wait_until(browser, f"window.innerWidth === {width}", f"the viewport to be {width} px wide")
    # Let resize handlers run (two frames) before the page's state is read.
    browser.evaluate(
        "new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))"
    )


def click_js(selector):
    """Dispatch a bubbling click on the element matching `selector`."""
    return (
        "(() => {"
        f" const e = document.querySelector({json.dumps(selector)});"
        f" if (!e) throw new Error('nothing matches ' + {json.dumps(selector)});"
        " e.dispatchEvent(new MouseEvent('click', {bubbles: true}));"
        " return true; })()"
    )


# Records every value #status's data-state takes, including a replaced #status element's.
# Mutation callbacks run at the next microtask checkpoint, before a fetch can resolve, so a
# `loading` set before the fetch is seen even when the answer comes back quickly.
RECORD_STATES_JS = r"""
(() => {
  const states = window.__dashboardTestStates = [];
  const current = () => {
    const s = document.getElementById('status');
    return s ? s.getAttribute('data-state') : null;
  };
  new MutationObserver(records => {
    for (const r of records) {
      if (r.type === 'attributes' && r.target.id === 'status') states.push(r.oldValue);
    }
    states.push(current());
  }).observe(document.documentElement, {subtree: true, childList: true, attributes: true,
                                        attributeFilter: ['data-state'], attributeOldValue: true});
  return true;
})()
"""


# ---------------------------------------------------------------------------------------------
# Browser events: requests, console, CSP, exceptions
# ---------------------------------------------------------------------------------------------


class EventAudit:
    """Checks the browser's events since the last audit."""

    FATAL_TEXT = ("Content Security Policy", "Refused to")

    def __init__(self, browser, base):
        self.browser = browser
        self.origin_prefix = base + "/"
        self.seen = 0
        self.request_count = 0
        self.urls = {}  # requestId -> URL, to name a request that failed

    def check(self, phase):
        self.browser.drain()  # whatever has already arrived
        events = self.browser.events[self.seen :]
        self.seen += len(events)
        problems = []
        for event in events:
            method, params = event["method"], event["params"]
            if method == "Network.requestWillBeSent":
                url = params["request"]["url"]
                self.urls[params.get("requestId")] = url
                self.request_count += 1
                if not (url.startswith(self.origin_prefix) or url.startswith(("data:", "blob:", "about:"))):
                    problems.append(f"a request left {self.origin_prefix}: {url}")
            elif method == "Network.loadingFailed":
                reason = params.get("blockedReason")
                url = self.urls.get(params.get("requestId"), "?")
                if reason:  # csp, mixed-content, inspector, ...
                    problems.append(f"a request was blocked ({reason}): {url}")
                else:
                    note(f"{phase}: a request failed ({params.get('errorText')}): {url}")
            elif method == "Log.entryAdded":
                entry = params["entry"]
                self._message(phase, f"log {entry.get('level')} ({entry.get('source')})",
                              entry.get("text", ""), entry.get("level") in ("error", "warning"),
                              problems, entry.get("url"))
            elif method == "Runtime.consoleAPICalled":
                text = " ".join(
                    str(arg.get("value", arg.get("description", arg.get("type"))))
                    for arg in params.get("args", [])
                )
                self._message(phase, f"console.{params.get('type')}", text,
                              params.get("type") in ("error", "warning", "assert"), problems)
            elif method == "Runtime.exceptionThrown":
                details = params["exceptionDetails"]
                exception = details.get("exception") or {}
                problems.append(
                    "uncaught exception: "
                    f"{exception.get('description') or details.get('text')} "
                    f"at {details.get('url', '?')}:{details.get('lineNumber', '?')}"
                )
        if problems:
            raise Failure(f"{phase}: " + "; ".join(problems))
        ok(f"{phase}: every request stayed on {self.origin_prefix}; no CSP violation, no exception")

    def _message(self, phase, kind, text, notable, problems, url=None):
        if any(marker in text for marker in self.FATAL_TEXT):
            problems.append(f"{kind}: {text}")
        elif notable:
            note(f"{phase}: {kind}: {text}" + (f" ({url})" if url else ""))


# ---------------------------------------------------------------------------------------------
# The test
# ---------------------------------------------------------------------------------------------


def check_headers(server):
    url = f"{server.base}/ai_usage/dashboard"
    status, headers, body = http_get(url)
    expect_equal(status, 200, "GET /ai_usage/dashboard status")
    content_type = headers.get("Content-Type", "")
    expect(content_type.lower().startswith("text/html"),
           f"the dashboard's Content-Type is HTML ({content_type})",
           f"expected text/html..., got {content_type!r}")
    csp = headers.get("Content-Security-Policy")
    expect(csp is not None, "the dashboard has a Content-Security-Policy",
           f"no Content-Security-Policy header; headers: {dict(headers)}")
    expect("default-src 'none'" in csp, "the CSP has default-src 'none'",
           f"expected it in {csp!r}")
    expect("unsafe-inline" not in csp, "the CSP has no unsafe-inline", f"got {csp!r}")
    cache_control = headers.get("Cache-Control")
    expect(cache_control is not None, f"the dashboard has Cache-Control ({cache_control})",
           f"no Cache-Control header; headers: {dict(headers)}")


def check_totals(snap, summary, label):
    """The four totals: data-value is the API's text, the visible text formatted from it."""
    cost, calls = summary["total_cost_usd"], summary["total_api_calls"]
    tokens, average = summary["total_tokens"], summary["average_cost_per_call"]
    expected = [
        ("totalCost", "#total-cost", number_text(cost), dollars(cost)),
        ("totalCalls", "#total-calls", number_text(calls), grouped(calls)),
        ("totalTokens", "#total-tokens", number_text(tokens), grouped(tokens)),
        ("averageCost", "#average-cost", number_text(average), "$" + number_text(average)),
    ]
    for key, selector, value, text in expected:
        found = snap[key]
        if found is None:
            raise Failure(f"{label}: {selector} is missing")
        expect_equal(found["value"], value, f"{label}: {selector} data-value")
        expect_equal(found["text"], text, f"{label}: {selector} text")


def check_bars(snap, truth, start, end):
    bars = snap["bars"]
    expected_days = days(start, end)
    expect_equal(len(bars), len(expected_days), "number of g.day-bar in #chart svg")
    dates = [bar["date"] for bar in bars]
    expect(sorted(dates) == expected_days,
           f"the bars' data-date are the days {start}..{end}, one each",
           f"expected {expected_days}, got {dates}")
    by_day = truth["aggregations"].get("by_day", {})
    total = Decimal(0)
    for bar in bars:
        where = f"the bar of {bar['date']}"
        if bar["cost"] is None or not DECIMAL_TEXT.fullmatch(bar["cost"]):
            raise Failure(f"{where}: data-cost must be decimal text, got {bar['cost']!r}")
        if bar["tabindex"] != "0":
            raise Failure(f"{where}: expected tabindex '0', got {bar['tabindex']!r}")
        if bar["title"] is None:
            raise Failure(f"{where}: has no <title> child")
        cost = Decimal(bar["cost"])
        day_truth = Decimal(by_day.get(bar["date"], {}).get("cost_usd", 0))
        rounded = cost.quantize(FOUR_PLACES, rounding=ROUND_HALF_EVEN)
        if rounded != day_truth:
            raise Failure(
                f"{where}: data-cost {bar['cost']} rounds to {rounded}, but the API's by_day "
                f"cost_usd is {day_truth}"
            )
        total += cost
    ok("every bar has decimal data-cost matching the API's day cost, tabindex 0 and a <title>")
    total_truth = truth["summary"]["total_cost_usd"]
    rounded_total = total.quantize(FOUR_PLACES, rounding=ROUND_HALF_EVEN)
    if rounded_total != total_truth:
        rounded_days = sum((Decimal(d["cost_usd"]) for d in by_day.values()), Decimal(0))
        raise Failure(
            f"the bars' data-cost add up to {total} (rounded: {rounded_total}), expected the "
            f"API's total_cost_usd {number_text(total_truth)}"
            + (" (the bars seem to carry the API's rounded by_day costs, whose sum is "
               f"{rounded_days}, not the exact day costs)" if total == rounded_days else "")
        )
    ok(f"the bars' data-cost add up to {total}, which rounds to total_cost_usd {rounded_total}")


def table_js(wrap_id):
    """The rows of a dashboard table: name, exact cost, cells; its state and sorted column."""
    return (
        "(() => { const w = document.getElementById(" + json.dumps(wrap_id) + ");"
        " if (!w) return null;"
        " const sorted = w.querySelector('th[aria-sort]');"
        " return {state: w.getAttribute('data-state'),"
        "  sortKey: sorted ? sorted.getAttribute('data-key') : null,"
        "  sort: sorted ? sorted.getAttribute('aria-sort') : null,"
        "  rows: Array.from(w.querySelectorAll('tbody tr')).map(tr => ({"
        "   name: tr.getAttribute('data-name'), cost: tr.getAttribute('data-cost'),"
        "   cells: Array.from(tr.children).map(c => c.textContent.trim()),"
        "   link: !!tr.querySelector('th button')}))}; })()"
    )


def check_groups_table(browser, wrap_id, groups, what):
    """The table shows every group of the API's answer (at most 50), by cost, descending.

    The API rounds each group's cost to 4 places; the row's data-cost is that figure exactly,
    its text that figure to the cent. `unknown` (calls without a value) has no filter link.
    """
    snap = browser.evaluate(table_js(wrap_id))
    if snap is None:
        raise Failure(f"#{wrap_id}: no such element")
    expected = sorted(groups.items(), key=lambda g: (-Decimal(str(g[1]["cost_usd"])), g[0]))[:50]
    names = [row["name"] for row in snap["rows"]]
    expect_equal(names, [name for name, _ in expected], f"{what}: the rows, by cost descending")
    for row, (name, group) in zip(snap["rows"], expected):
        cost = Decimal(str(group["cost_usd"]))
        expect_equal(Decimal(row["cost"]), cost, f"{what}: data-cost of {name}")
        expect_equal(row["cells"][1], dollars(cost), f"{what}: the cost shown for {name}")
        expect_equal(row["cells"][3], grouped(group["api_calls"]), f"{what}: the calls shown for {name}")
        expect_equal(row["link"], name != "unknown",
                     f"{what}: whether {name} is a filter link (all but unknown are)")
    expect_equal((snap["sortKey"], snap["sort"]), ("cost", "descending"), f"{what}: the sorted column")
    ok(f"{what}: {len(names)} rows equal the API's groups, to the cent, by cost descending")
    return snap


def pick_day(bars):
    """2026-11-10, or the first day with a cost if that one cost nothing."""
    costs = {bar["date"]: Decimal(bar["cost"]) for bar in bars}
    if costs.get(PREFERRED_DAY, 0) != 0:
        return PREFERRED_DAY
    for bar in bars:
        if costs[bar["date"]] != 0:
            return bar["date"]
    raise Failure("no bar has a cost other than 0: nothing to click")


def run(args, cleanups, context):
    """All the checks; `cleanups` gets (description, action) pairs as resources are made."""
    binary = os.path.abspath(args.ai_usage)
    if not os.access(binary, os.X_OK):
        raise Failure(f"--ai-usage {args.ai_usage}: not an executable file")
    if not os.environ.get("AWS_ENDPOINT_URL_DYNAMODB"):
        note("AWS_ENDPOINT_URL_DYNAMODB is not set; run this under scripts/with-local-dynamodb")
    screenshots = os.path.abspath(args.screenshots)
    os.makedirs(screenshots, exist_ok=True)
    work_dir = tempfile.mkdtemp(prefix="dashboard-test-")
    cleanups.append(("remove the temporary directory", lambda: shutil.rmtree(work_dir, ignore_errors=True)))

    # 1. A table of our own, seeded deterministically.
    table = f"dashboard-test-{secrets.token_hex(6)}"
    if has_subcommand(binary, "table", "delete"):
        cleanups.append((f"delete the table {table}",
                         lambda: run_ai_usage(binary, "table", "delete", "--table", table)))
    run_ai_usage(binary, "table", "create", "--table", table)
    ok(f"created the table {table}")
    run_ai_usage(binary, "seed", "--table", table, "--start", START, "--days", "30",
                 "--per-day", "40", "--seed", "7")
    ok(f"seeded {table}: 30 days from {START}, 40 calls a day, seed 7")
    run_ai_usage(binary, "budget", "set", "global", "--period", "monthly", "--limit", "50",
                 "--thresholds", "50,90:critical", "--table", table)
    ok("set a monthly global budget of $50 (thresholds 50% and 90%)")

    # 2. The API on a free port.
    server = context["server"] = Server(binary, table, work_dir)
    cleanups.append(("stop ai-usage serve", server.stop))
    server.start()
    base = server.base
    ok(f"ai-usage serve answers on {base}")

    # 3. The truth, from the JSON API.
    truth = get_json(f"{base}/ai_usage?start_date={START}&end_date={END}")
    summary = truth["summary"]
    ok(f"the API's totals for {START}..{END}: cost {number_text(summary['total_cost_usd'])}, "
       f"{summary['total_api_calls']} calls, {summary['total_tokens']} tokens, "
       f"average {number_text(summary['average_cost_per_call'])}, "
       f"{summary['unpriced_calls']} unpriced")

    # 4. The page's response headers.
    check_headers(server)

    # 5. The page in the browser, at 1280x900.
    browser = Browser(timeout=TIMEOUT)
    cleanups.append(("close chromium", browser.close))
    for domain in ("Network", "Log", "Runtime", "Page"):
        browser.send(f"{domain}.enable")
    audit = EventAudit(browser, base)
    dashboard = f"{base}/ai_usage/dashboard"
    set_viewport(browser, 1280, 900, mobile=False)
    browser.navigate(f"{dashboard}?start_date={START}&end_date={END}")
    state = wait_settled(browser, f"{START}..{END}")
    snap = snapshot(browser)
    expect_equal(state, "ready", f"#status data-state for {START}..{END}")
    check_totals(snap, summary, f"{START}..{END}")
    unpriced = summary["unpriced_calls"]
    expect((snap["unpricedCalls"] is not None) == (unpriced > 0),
           f"#unpriced-calls is {'shown' if unpriced > 0 else 'absent'} ({unpriced} unpriced calls)",
           f"unpriced_calls is {unpriced}, but #unpriced-calls is "
           f"{'absent' if snap['unpricedCalls'] is None else repr(snap['unpricedCalls'])}")
    check_bars(snap, truth, START, END)
    download = snap["downloadCsv"]
    expect(download is not None and download["tag"] == "button", "#download-csv is a button",
           f"got {download!r}")
    apply = snap["apply"]
    expect(apply is not None and apply["inForm"] and apply["tag"] in ("button", "input")
           and (apply["type"] or "submit").lower() == "submit",
           "#apply is the form's submit button", f"got {apply!r}")
    label = snap["rangeLabel"]
    expect(label is not None and label["text"], f"#range-label shows the range ({label and label['text']!r})",
           f"got {label!r}")
    by_user = get_json(f"{base}/ai_usage?start_date={START}&end_date={END}&aggregation=user")["aggregations"]["by_user"]
    check_groups_table(browser, "users", by_user, "Top users")
    by_job = get_json(f"{base}/ai_usage?start_date={START}&end_date={END}&aggregation=job")["aggregations"]["by_job"]
    wait_until(browser, "(() => { const w = document.getElementById('jobs');"
                        " return !!w && w.getAttribute('data-state') === 'ready'; })()",
               "#jobs data-state 'ready'")
    jobs = check_groups_table(browser, "jobs", by_job, "Top jobs")
    if len(by_job) < 3:
        raise Failure(f"the seeded table should have several jobs, the API found {sorted(by_job)}")

    # A column header sorts: Calls, descending on the first click, ascending on the second.
    for order in ("descending", "ascending"):
        browser.evaluate("document.querySelector('#users th[data-key=\"calls\"] button').click()")
        sorted_users = browser.evaluate(table_js("users"))
        expect_equal((sorted_users["sortKey"], sorted_users["sort"]), ("calls", order),
                     f"Top users after a click on Calls ({order})")
        calls = [int(by_user[row["name"]]["api_calls"]) for row in sorted_users["rows"]]
        expect_equal(calls, sorted(calls, reverse=order == "descending"), f"Top users' calls, {order}")
    browser.evaluate("document.querySelector('#users th[data-key=\"cost\"] button').click()")
    check_groups_table(browser, "users", by_user, "Top users, sorted by Cost again")
    ok("a click on the Calls header sorts Top users by calls, a second reverses, Cost sorts back")

    # Budgets: the one set above, its spend against its limit as GET /ai_usage/budgets has it.
    budgets = get_json(f"{base}/ai_usage/budgets")
    wait_until(browser, "(() => { const s = document.getElementById('budgets-section');"
                        " return !!s && !s.hidden && s.querySelectorAll('.budget').length > 0; })()",
               "the Budgets section")
    shown = browser.evaluate("Array.from(document.querySelectorAll('#budgets .budget')).map(b => ({"
                             " text: b.textContent.replace(/\\s+/g, ' ').trim(),"
                             " marks: b.querySelectorAll('svg line.mark').length}))")
    expect_equal(len(shown), len(budgets["status"]), "budgets shown, one per subject of GET /ai_usage/budgets")
    for entry, budget in zip(budgets["status"], shown):
        spend, limit = Decimal(str(entry["spend_usd"])), Decimal(str(entry["limit_usd"]))
        expected_text = f"{dollars(spend)} of {dollars(limit)} ({entry['percent']}%)"
        expect(expected_text in budget["text"], f"the budget {entry['budget']} reads {expected_text!r}",
               f"expected {expected_text!r} in {budget['text']!r}")
        expect_equal(budget["marks"], 2, f"threshold marks on the budget {entry['budget']} (50%, 90%)")

    # Download CSV saves exactly what GET /ai_usage?format=csv answers for the view.
    downloads = os.path.join(work_dir, "downloads")
    os.makedirs(downloads)
    try:
        browser.send("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": downloads})
    except CDPError:
        browser.send("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": downloads})
    browser.evaluate("document.getElementById('download-csv').click()")
    deadline = time.monotonic() + TIMEOUT
    saved = []
    while time.monotonic() < deadline:
        browser.drain(0.2)
        saved = [f for f in os.listdir(downloads) if not f.endswith(".crdownload")]
        if saved:
            break
    expected_name = f"ai-usage-{START}-{END}.csv"
    expect_equal(saved, [expected_name], "the file Download CSV saved")
    status, _, csv_truth = http_get(f"{base}/ai_usage?start_date={START}&end_date={END}&format=csv")
    with open(os.path.join(downloads, expected_name), encoding="utf-8", newline="") as f:
        downloaded = f.read()
    expect(status == 200 and downloaded == csv_truth,
           f"the download is GET /ai_usage?format=csv byte for byte ({len(downloaded)} bytes)",
           f"status {status}; {len(downloaded)} bytes saved, {len(csv_truth)} answered")
    audit.check(f"{START}..{END} at 1280x900")

    # 6. Screenshots: desktop, then 375 px wide without horizontal scrolling.
    desktop_png = browser.screenshot(os.path.join(screenshots, "dashboard-desktop.png"))
    ok(f"saved {desktop_png}")
    set_viewport(browser, 375, 812, mobile=True)
    wait_until(browser, state_is_js("ready"), "data-state 'ready' at 375x812")
    scroll_width = browser.evaluate("document.documentElement.scrollWidth")
    expect(scroll_width <= 375, f"no horizontal scrolling at 375 px (scrollWidth {scroll_width})",
           f"expected document.documentElement.scrollWidth <= 375, got {scroll_width}")
    mobile_png = browser.screenshot(os.path.join(screenshots, "dashboard-375.png"))
    ok(f"saved {mobile_png}")
    set_viewport(browser, 1280, 900, mobile=False)
    wait_until(browser, state_is_js("ready"), "data-state 'ready' back at 1280x900")
    audit.check("the 375 px layout")

    # 7. A click on one day's bar filters the view to that day.
    day = pick_day(snap["bars"])
    day_truth = get_json(f"{base}/ai_usage?start_date={day}&end_date={day}")
    browser.evaluate(RECORD_STATES_JS)
    browser.evaluate(click_js(f'#chart svg g.day-bar[data-date="{day}"]'))
    wait_until(
        browser,
        "(() => { const q = new URLSearchParams(location.search);"
        " const s = document.getElementById('status');"
        " const bars = document.querySelectorAll('#chart svg g.day-bar');"
        f" return q.get('start_date') === {json.dumps(day)} && q.get('end_date') === {json.dumps(day)}"
        " && !!s && s.getAttribute('data-state') === 'ready'"
        f" && bars.length === 1 && bars[0].getAttribute('data-date') === {json.dumps(day)}; }})()",
        f"the view of {day} after a click on its bar",
    )
    snap = snapshot(browser)
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(snap["href"]).query)
    expect_equal((query.get("start_date"), query.get("end_date")), ([day], [day]),
                 f"the URL's start_date and end_date after clicking {day}")
    states = browser.evaluate("window.__dashboardTestStates || null")
    if states is None:
        note(f"the click on {day} loaded a new document (the state recorder is gone)")
    else:
        expect("loading" in states, f"#status went through 'loading' (states seen: {states})",
               f"expected 'loading' among the states after the click, saw {states}")
    expect_equal(snap["state"], "ready", f"#status data-state for {day}")
    expect_equal(len(snap["bars"]), 1, f"number of day bars for {day}")
    check_totals(snap, day_truth["summary"], day)
    audit.check(f"the click on {day}")

    # A click on a job in Top jobs filters the view to that job.
    browser.navigate(f"{dashboard}?start_date={START}&end_date={END}")
    expect_equal(wait_settled(browser, f"{START}..{END} for the job click"), "ready",
                 f"#status data-state for {START}..{END} before the job click")
    wait_until(browser, "(() => { const w = document.getElementById('jobs');"
                        " return !!w && w.getAttribute('data-state') === 'ready'; })()",
               "#jobs data-state 'ready' before the job click")
    job = next(row["name"] for row in jobs["rows"] if row["name"] != "unknown")
    job_truth = get_json(f"{base}/ai_usage?start_date={START}&end_date={END}&job_id={urllib.parse.quote(job)}")
    browser.evaluate(click_js(f'#jobs tbody tr[data-name="{job}"] th button'))
    wait_until(
        browser,
        "(() => { const q = new URLSearchParams(location.search);"
        " const s = document.getElementById('status'); const w = document.getElementById('jobs');"
        f" return q.get('job_id') === {json.dumps(job)} && !!s && s.getAttribute('data-state') === 'ready'"
        " && !!w && w.getAttribute('data-state') === 'ready'; })()",
        f"the view of job {job} after a click on it",
    )
    snap = snapshot(browser)
    check_totals(snap, job_truth["summary"], f"job {job}")
    only = browser.evaluate(table_js("jobs"))
    expect_equal([row["name"] for row in only["rows"]], [job], f"Top jobs when filtered to {job}")
    expect_equal(browser.evaluate("document.getElementById('job').value"), job, "the Job field after the click")
    audit.check(f"the click on job {job}")

    # 8. A range without calls: the empty state.
    empty_start, empty_end = "2025-01-01", "2025-01-02"
    browser.navigate(f"{dashboard}?start_date={empty_start}&end_date={empty_end}")
    expect_equal(wait_settled(browser, f"{empty_start}..{empty_end}"), "empty",
                 f"#status data-state for {empty_start}..{empty_end}")
    audit.check(f"the empty range {empty_start}..{empty_end}")

    # 9. A range the API refuses: the error state, with the API's own message.
    refused = f"start_date={END}&end_date={START}"
    api_error = get_json(f"{base}/ai_usage?{refused}", expected_status=400).get("error")
    if not isinstance(api_error, str) or not api_error:
        raise Failure(f"GET /ai_usage?{refused}: expected a JSON 'error' message, got {api_error!r}")
    browser.navigate(f"{dashboard}?{refused}")
    state = wait_settled(browser, refused)
    snap = snapshot(browser)
    expect_equal(state, "error", f"#status data-state for {refused}")
    expect(api_error in (snap["statusText"] or ""), f"#status shows the API's error: {api_error!r}",
           f"expected #status text to contain {api_error!r}, got {snap['statusText']!r}")
    audit.check(f"the refused range {refused}")

    # 10. The server goes away: Apply shows an error.
    browser.navigate(f"{dashboard}?start_date={START}&end_date={END}")
    expect_equal(wait_settled(browser, f"{START}..{END} again"), "ready",
                 f"#status data-state for {START}..{END} before stopping the server")
    status = server.stop()
    expect(status is not None, f"the server has stopped (exit status {status})", "it is still running")
    browser.evaluate("document.getElementById('apply').click()")
    wait_until(browser, state_is_js("error"), "data-state 'error' after Apply with the server stopped")
    snap = snapshot(browser)
    expect(bool(snap["statusText"]), f"#status explains the failure: {snap['statusText']!r}",
           "#status text is empty")
    audit.check("Apply with the server stopped")
    ok(f"{audit.request_count} browser requests, all to {base}/")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ai-usage", required=True, help="the ai-usage binary")
    parser.add_argument("--screenshots", required=True, help="directory for the PNG screenshots")
    args = parser.parse_args()

    # SIGTERM unwinds like Ctrl-C, so the cleanups below still run.
    signal.signal(signal.SIGTERM, _on_sigterm)

    cleanups, context = [], {}
    status = 0
    try:
        run(args, cleanups, context)
        ok("all checks passed")
    except Failure as failure:
        print(f"{NAME}: FAIL: {failure}", file=sys.stderr, flush=True)
        status = 1
    except CDPError as error:
        print(f"{NAME}: FAIL: the browser: {error}", file=sys.stderr, flush=True)
        status = 1
    except KeyboardInterrupt:
        print(f"{NAME}: interrupted", file=sys.stderr, flush=True)
        status = 130
    except Terminated:
        print(f"{NAME}: terminated", file=sys.stderr, flush=True)
        status = 143
    except Exception:  # a bug here, or an answer shaped unlike the contract
        print(f"{NAME}: FAIL: unexpected error:\n{traceback.format_exc()}", file=sys.stderr, flush=True)
        status = 1
    finally:
        if status == 1 and "server" in context:
            print(f"{NAME}: the server's log ends with:\n{context['server'].log_tail()}",
                  file=sys.stderr, flush=True)
        # In reverse: chromium, then the server, then the table and the temporary directory.
        for description, action in reversed(cleanups):
            try:
                action()
            except Exception as error:  # a failed cleanup must not hide the others
                print(f"{NAME}: cleanup: could not {description}: {error}", file=sys.stderr, flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
