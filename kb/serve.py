"""Run the app under waitress with limits a slow or idle client cannot use to take it down.

Waitress reads each request whole before a worker thread sees it, so slow clients cost
sockets, not threads: the risk is its connection limit (100 by default; past it, it stops
accepting, health included) and its idle timer, which any byte resets, so a client sending
a header byte every 10 s holds a socket forever. `connection_limit` is raised, and a
request must arrive whole within `request_timeout`. In front of the internet, run behind a
reverse proxy (nginx, Caddy) that buffers requests: it is built for the many slow clients.
"""

from __future__ import annotations

import json
import time

import waitress
from flask import Flask
from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer, MultiSocketServer
from waitress.task import ErrorTask

from kb.api.errors import error_body


def make_server(app: Flask, settings: dict):
    """The waitress server for `app`, listening on the settings' host and port; call `.run()`."""
    server = waitress.create_server(
        app,
        host=settings["host"],
        port=settings["port"],
        threads=settings["threads"],
        connection_limit=settings["connection_limit"],
        channel_timeout=settings["idle_timeout"],
        asyncore_use_poll=True,  # select() cannot watch sockets numbered past 1023
        ident="kefu-kb",
    )
    channel = type("Channel", (_TimedChannel,), {"timeout": settings["request_timeout"]})
    listeners = server.map.values() if isinstance(server, MultiSocketServer) else [server]
    for listener in listeners:  # (a MultiSocketServer's map also holds its wake-up trigger)
        if isinstance(listener, BaseWSGIServer):
            listener.channel_class = channel
    return server


class _JsonErrorTask(ErrorTask):
    """Waitress's own refusals of a request it could not read (431 headers too large, 501 an
    unknown transfer coding, 400 a malformed request) in the API's one error shape."""

    def execute(self):
        error = self.request.error
        code = error.reason.lower().replace(" ", "_")
        body = json.dumps(error_body(code, error.body)).encode()
        self.status = f"{error.code} {error.reason}"
        self.response_headers.append(("Content-Type", "application/json"))
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


class _TimedChannel(HTTPChannel):
    """A connection whose request (headers and body) must arrive whole within `timeout` s,
    and whose unreadable requests are answered in JSON."""

    error_task_class = _JsonErrorTask
    timeout: float
    started = 0.0

    def received(self, data):
        if self.request is None and data:
            self.started = time.monotonic()
        return super().received(data)

    def readable(self):
        # the loop asks every channel this at least once a second (asyncore_loop_timeout)
        if self.request is not None and time.monotonic() - self.started > self.timeout:
            self.will_close = True  # writable() now holds, and handle_write closes the socket
            return False
        return super().readable()
