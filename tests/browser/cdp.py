"""A tiny Chrome DevTools Protocol client, standard library only.

It starts a headless `chromium` with a throwaway profile, attaches to its one page over a
WebSocket implemented here on top of `socket` (RFC 6455, client side), sends commands and
waits for their results by id, and keeps every event it receives in `Browser.events`.

    with Browser() as browser:
        browser.send("Network.enable")
        browser.navigate("http://127.0.0.1:8000/")
        title = browser.evaluate("document.title")

Every wait has a deadline and fails with a `CDPError` that says what it was waiting for.
"""

import base64
import hashlib
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request

DEFAULT_TIMEOUT = 30.0
POLL_INTERVAL = 0.1


class CDPError(Exception):
    """Anything that went wrong talking to the browser, including a wait that timed out."""


class WaitTimeout(CDPError):
    """A deadline passed."""


class WebSocketClosed(CDPError):
    """The other side closed the connection (or it broke)."""


# ---------------------------------------------------------------------------------------------
# WebSocket (RFC 6455), client side
# ---------------------------------------------------------------------------------------------

_WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # fixed by RFC 6455, section 1.3

OP_CONTINUATION, OP_TEXT, OP_BINARY = 0x0, 0x1, 0x2
OP_CLOSE, OP_PING, OP_PONG = 0x8, 0x9, 0xA


def _mask(payload, key):
    """XOR `payload` with the 4-byte `key` repeated (RFC 6455, section 5.3)."""
    if not payload:
        return b""
    # One big-integer XOR instead of a Python loop over every byte.
    repeated = (key * (len(payload) // 4 + 1))[: len(payload)]
    masked = int.from_bytes(payload, "big") ^ int.from_bytes(repeated, "big")
    return masked.to_bytes(len(payload), "big")


class WebSocket:
    """A blocking WebSocket client for `ws://` URLs: text messages in and out.

    Received bytes are buffered and a frame is parsed only once it is complete, so a receive
    that times out never leaves the stream half-read.
    """

    def __init__(self, url, timeout=DEFAULT_TIMEOUT):
        parts = urllib.parse.urlsplit(url)
        if parts.scheme != "ws":
            raise CDPError(f"only ws:// URLs are supported, got {url!r}")
        host, port = parts.hostname, parts.port or 80
        resource = parts.path or "/"
        if parts.query:
            resource += "?" + parts.query

        self._buffer = b""
        self._fragments = None  # (opcode, [payload, ...]) of a message still being received
        self._close_sent = False
        self.closed = False
        try:
            self._sock = socket.create_connection((host, port), timeout=timeout)
        except OSError as error:
            raise CDPError(f"cannot connect to {url}: {error}") from error
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            self._handshake(host, port, resource, time.monotonic() + timeout)
        except BaseException:
            self._sock.close()
            raise

    # -- opening handshake (section 4.1) --

    def _handshake(self, host, port, resource, deadline):
        key = base64.b64encode(os.urandom(16)).decode("ascii")
        request = (
            f"GET {resource} HTTP/1.1\r\n"
            f"Host: {host}:{port}\r\n"
            "Upgrade: websocket\r\n"
            "Connection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n"
            "\r\n"
        )
        self._sock.sendall(request.encode("ascii"))

        while b"\r\n\r\n" not in self._buffer:
            if len(self._buffer) > 65536:
                raise CDPError("WebSocket handshake: response headers too long")
            self._receive_some(deadline, "the WebSocket handshake response")
        head, self._buffer = self._buffer.split(b"\r\n\r\n", 1)  # the rest is already frames
        lines = head.decode("iso-8859-1").split("\r\n")
        status = lines[0].split(" ", 2)
        if len(status) < 2 or status[1] != "101":
            raise CDPError(f"WebSocket handshake refused: {lines[0]!r}")
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        expected = base64.b64encode(
            hashlib.sha1((key + _WS_GUID).encode("ascii")).digest()
        ).decode("ascii")
        if headers.get("sec-websocket-accept") != expected:
            raise CDPError(
                "WebSocket handshake: Sec-WebSocket-Accept is "
                f"{headers.get('sec-websocket-accept')!r}, expected {expected!r}"
            )
        if headers.get("upgrade", "").lower() != "websocket":
            raise CDPError(f"WebSocket handshake: Upgrade is {headers.get('upgrade')!r}")

    # -- low-level I/O --

    def _receive_some(self, deadline, what):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise WaitTimeout(f"timed out waiting for {what}")
        self._sock.settimeout(remaining)
        try:
            chunk = self._sock.recv(1 << 16)
        except socket.timeout:
            raise WaitTimeout(f"timed out waiting for {what}") from None
        except OSError as error:
            self.closed = True
            raise WebSocketClosed(f"WebSocket connection broke: {error}") from error
        if not chunk:
            self.closed = True
            raise WebSocketClosed("WebSocket connection closed by the browser")
        self._buffer += chunk

    def _send_frame(self, opcode, payload):
        """Send one final (FIN) frame; a client masks every frame (section 5.1)."""
        header = bytearray([0x80 | opcode])
        length = len(payload)
        if length < 126:
            header.append(0x80 | length)
        elif length < 1 << 16:
            header.append(0x80 | 126)
            header += struct.pack("!H", length)
        else:
            header.append(0x80 | 127)
            header += struct.pack("!Q", length)
        key = os.urandom(4)
        self._sock.settimeout(DEFAULT_TIMEOUT)
        try:
            self._sock.sendall(bytes(header) + key + _mask(payload, key))
        except OSError as error:
            self.closed = True
            raise WebSocketClosed(f"WebSocket send failed: {error}") from error

    def _parse_frame(self):
        """Take one complete frame off the buffer: (fin, opcode, payload), or None if partial."""
        buf = self._buffer
        if len(buf) < 2:
            return None
        fin = bool(buf[0] & 0x80)
        opcode = buf[0] & 0x0F
        masked = bool(buf[1] & 0x80)
        length = buf[1] & 0x7F
        offset = 2
        if length == 126:
            if len(buf) < offset + 2:
                return None
            (length,) = struct.unpack_from("!H", buf, offset)
            offset += 2
        elif length == 127:
            if len(buf) < offset + 8:
                return None
            (length,) = struct.unpack_from("!Q", buf, offset)
            offset += 8
        key = None
        if masked:  # servers must not mask, but unmasking costs nothing
            if len(buf) < offset + 4:
                return None
            key = buf[offset : offset + 4]
            offset += 4
        if len(buf) < offset + length:
            return None
        payload = buf[offset : offset + length]
        self._buffer = buf[offset + length :]
        if key is not None:
            payload = _mask(payload, key)
        return fin, opcode, payload

    # -- messages --

    def send_text(self, text):
        if self.closed:
            raise WebSocketClosed("WebSocket is closed")
        self._send_frame(OP_TEXT, text.encode("utf-8"))

    def receive(self, deadline, what="a WebSocket message"):
        """The next complete data message (str for text, bytes for binary).

        Pings are answered, pongs ignored, fragmented messages reassembled; a close frame is
        answered and raises WebSocketClosed. Raises WaitTimeout at `deadline`.
        """
        while True:
            frame = self._parse_frame()
            if frame is None:
                self._receive_some(deadline, what)
                continue
            fin, opcode, payload = frame
            if opcode == OP_PING:
                self._send_frame(OP_PONG, payload)
            elif opcode == OP_PONG:
                pass
            elif opcode == OP_CLOSE:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
                reason = payload[2:].decode("utf-8", "replace")
                if not self._close_sent:
                    self._close_sent = True
                    try:
                        self._send_frame(OP_CLOSE, payload[:2])
                    except CDPError:
                        pass
                self.closed = True
                raise WebSocketClosed(f"WebSocket closed by the browser (code {code}) {reason}".rstrip())
            elif opcode in (OP_TEXT, OP_BINARY):
                if self._fragments is not None:
                    raise CDPError("WebSocket protocol error: new message inside a fragmented one")
                if fin:
                    return payload.decode("utf-8") if opcode == OP_TEXT else payload
                self._fragments = (opcode, [payload])
            elif opcode == OP_CONTINUATION:
                if self._fragments is None:
                    raise CDPError("WebSocket protocol error: continuation frame without a message")
                self._fragments[1].append(payload)
                if fin:
                    first_opcode, parts = self._fragments
                    self._fragments = None
                    data = b"".join(parts)
                    return data.decode("utf-8") if first_opcode == OP_TEXT else data
            else:
                raise CDPError(f"WebSocket protocol error: unknown opcode {opcode:#x}")

    def close(self):
        if not self.closed and not self._close_sent:
            self._close_sent = True
            try:
                self._send_frame(OP_CLOSE, struct.pack("!H", 1000))
            except CDPError:
                pass
        self.closed = True
        try:
            self._sock.close()
        except OSError:
            pass


# ---------------------------------------------------------------------------------------------
# The browser
# ---------------------------------------------------------------------------------------------

# Talk to the browser's own DevTools endpoint directly, whatever http_proxy says.
_direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class Browser:
    """A headless chromium and a CDP session on its page.

    `events` holds every event received so far, as {"method": ..., "params": ...} dicts in
    arrival order; events keep arriving only while a command or a wait reads the socket.
    """

    def __init__(self, executable="chromium", timeout=DEFAULT_TIMEOUT, extra_args=()):
        self.timeout = timeout
        self.events = []
        self._next_id = 0
        self._results = {}  # id -> response that arrived while waiting for another id
        self._ws = None
        self._process = None
        self._log = None
        self.user_data_dir = tempfile.mkdtemp(prefix="cdp-chromium-")
        try:
            self._start(executable, list(extra_args))
        except BaseException:
            self.close()
            raise

    # -- lifecycle --

    def _start(self, executable, extra_args):
        command = [
            executable,
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--remote-debugging-port=0",
            f"--user-data-dir={self.user_data_dir}",
            *extra_args,
            "about:blank",
        ]
        # Chromium's own log goes to a file: a pipe nobody reads could fill up and block it.
        self._log_path = os.path.join(self.user_data_dir, "chromium.log")
        self._log = open(self._log_path, "wb")
        try:
            # A session of its own, so close() can also end the renderer and zygote processes.
            self._process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as error:
            raise CDPError(f"cannot start {executable}: {error}") from error

        port = self._read_devtools_port()
        targets = self._get_json(port, "/json/list")
        pages = [t for t in targets if t.get("type") == "page" and t.get("webSocketDebuggerUrl")]
        if not pages:
            raise CDPError(f"chromium has no page target; /json/list gave {targets!r}")
        self.port = port
        self._ws = WebSocket(pages[0]["webSocketDebuggerUrl"], timeout=self.timeout)

    def _read_devtools_port(self):
        """Wait for chromium to write DevToolsActivePort (port, then the browser's path)."""
        path = os.path.join(self.user_data_dir, "DevToolsActivePort")
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                with open(path, encoding="utf-8") as f:
                    lines = f.read().splitlines()
                if len(lines) >= 2 and lines[0].strip().isdigit():  # both lines: fully written
                    return int(lines[0])
            except FileNotFoundError:
                pass
            if self._process.poll() is not None:
                raise CDPError(
                    f"chromium exited with status {self._process.returncode} before it opened "
                    f"its DevTools port; its log ends with:\n{self.log_tail()}"
                )
            if time.monotonic() > deadline:
                raise WaitTimeout(
                    f"chromium did not write {path} within {self.timeout:g} s; "
                    f"its log ends with:\n{self.log_tail()}"
                )
            time.sleep(POLL_INTERVAL)

    def _get_json(self, port, path):
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                with _direct.open(f"http://127.0.0.1:{port}{path}", timeout=self.timeout) as response:
                    return json.loads(response.read().decode("utf-8"))
            except OSError as error:
                if time.monotonic() > deadline:
                    raise WaitTimeout(f"GET {path} on chromium's DevTools port {port} failed: {error}")
                time.sleep(POLL_INTERVAL)

    def log_tail(self, lines=20):
        try:
            with open(self._log_path, encoding="utf-8", errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return "(no log)"

    def close(self):
        """Stop chromium (all of its processes) and remove its profile directory."""
        if self._ws is not None:
            self._ws.close()
            self._ws = None
        if self._process is not None:
            if self._process.poll() is None:
                self._process.terminate()
                try:
                    self._process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self._process.kill()
                    self._process.wait(timeout=10)
            # Helpers still alive in chromium's session (its process group) go too.
            try:
                os.killpg(self._process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            self._process = None
        if self._log is not None:
            self._log.close()
            self._log = None
        if self.user_data_dir:
            # A helper may still be writing its last files: retry briefly, then give up quietly.
            for _ in range(20):
                shutil.rmtree(self.user_data_dir, ignore_errors=True)
                if not os.path.exists(self.user_data_dir):
                    break
                time.sleep(POLL_INTERVAL)
            self.user_data_dir = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- protocol --

    def _dispatch(self, message):
        """File one incoming message: a response by id, or an event onto `events`."""
        data = json.loads(message)
        if "id" in data:
            self._results[data["id"]] = data
        else:
            self.events.append({"method": data.get("method"), "params": data.get("params", {})})
            if data.get("method") in ("Inspector.detached", "Inspector.targetCrashed"):
                raise CDPError(f"the page is gone: {data.get('method')} {data.get('params')}")

    def _pump(self, deadline, what):
        """Read and dispatch one message, or raise WaitTimeout at `deadline`."""
        if self._ws is None:
            raise CDPError("the browser is closed")
        self._dispatch(self._ws.receive(deadline, what))

    def send(self, method, params=None, timeout=None):
        """Send one command and return its `result`; raises CDPError on a protocol error."""
        self._next_id += 1
        command_id = self._next_id
        self._ws.send_text(json.dumps({"id": command_id, "method": method, "params": params or {}}))
        deadline = time.monotonic() + (timeout or self.timeout)
        while command_id not in self._results:
            self._pump(deadline, f"the result of {method} (id {command_id})")
        response = self._results.pop(command_id)
        if "error" in response:
            raise CDPError(f"{method} failed: {response['error']}")
        return response.get("result", {})

    def wait_for_event(self, method, since=0, predicate=None, timeout=None):
        """The first event named `method` at index >= `since` in `events` (matching `predicate`)."""
        deadline = time.monotonic() + (timeout or self.timeout)
        index = since
        while True:
            while index < len(self.events):
                event = self.events[index]
                index += 1
                if event["method"] == method and (predicate is None or predicate(event["params"])):
                    return event
            self._pump(deadline, f"the event {method}")

    def drain(self, seconds=0.0):
        """Collect events for `seconds` (0: only those that have already arrived)."""
        deadline = time.monotonic() + seconds
        while True:
            try:
                # Block at least a moment, so that data already in flight is read.
                self._pump(max(deadline, time.monotonic() + 0.001), "events")
            except WaitTimeout:
                return

    # -- helpers --

    def navigate(self, url, timeout=None):
        """Open `url` in the page and wait for its load event."""
        since = len(self.events)
        result = self.send("Page.navigate", {"url": url}, timeout=timeout)
        if result.get("errorText"):
            raise CDPError(f"navigating to {url} failed: {result['errorText']}")
        try:
            self.wait_for_event("Page.loadEventFired", since=since, timeout=timeout)
        except WaitTimeout:
            raise WaitTimeout(
                f"{url} did not fire its load event within {timeout or self.timeout:g} s"
            ) from None
        return result

    def evaluate(self, expression, timeout=None):
        """Evaluate JavaScript in the page and return its value (promises are awaited).

        Raises CDPError with the exception's description when the expression throws.
        """
        result = self.send(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
            timeout=timeout,
        )
        details = result.get("exceptionDetails")
        if details:
            exception = details.get("exception") or {}
            description = exception.get("description") or exception.get("value") or details.get("text")
            raise CDPError(f"JavaScript threw: {description}\n  in: {expression.strip()[:300]}")
        value = result.get("result", {})
        return value.get("value")  # absent for undefined

    def wait_for(self, condition, timeout=None, description=None):
        """Evaluate `condition` every 100 ms until it is truthy; return that value.

        An expression that throws counts as not yet true (the page may be between documents);
        the last exception is reported if the deadline passes.
        """
        timeout = timeout or self.timeout
        deadline = time.monotonic() + timeout
        last_value, last_error = None, None
        while True:
            try:
                last_value = self.evaluate(condition, timeout=max(deadline - time.monotonic(), 1.0))
                last_error = None
                if last_value:
                    return last_value
            except WaitTimeout:
                pass
            except CDPError as error:
                if self._ws is None or self._ws.closed:
                    raise
                last_error = error
            if time.monotonic() > deadline:
                what = description or condition.strip()
                detail = f"last error: {last_error}" if last_error else f"last value: {last_value!r}"
                raise WaitTimeout(f"timed out after {timeout:g} s waiting for {what} ({detail})")
            # The pause between polls is spent reading events, not sleeping.
            self.drain(POLL_INTERVAL)

    def set_viewport(self, width, height, mobile=False, device_scale_factor=1):
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": device_scale_factor, "mobile": mobile},
        )

    def screenshot(self, path, full_page=True):
        """Save a PNG of the page (the whole document with full_page) to `path`."""
        params = {"format": "png", "captureBeyondViewport": full_page}
        if full_page:
            metrics = self.send("Page.getLayoutMetrics")
            size = metrics.get("cssContentSize") or metrics["contentSize"]
            params["clip"] = {
                "x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1,
            }
        data = self.send("Page.captureScreenshot", params, timeout=max(self.timeout, 60))["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))
        return path
