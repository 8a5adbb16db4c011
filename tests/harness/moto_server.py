#!/usr/bin/env python3
"""Launch a moto server, extended by ``moto_ext``, for the bedrock-warden tests.

Contract (relied on by ``scripts/local-cloud.sh`` and the Rust test harness):

    python moto_server.py [--host 127.0.0.1] [--port 0] [--exit-on-stdin-eof] [--verbose]

* ``--port 0`` (the default) binds a free port chosen by the OS.
* Once the socket is listening, exactly one line ``PORT <number>`` is written to
  stdout and flushed; stdout is then closed (the reader sees EOF), and anything
  printed later goes to stderr. Logs and errors go to stderr; per-request log
  lines only with ``--verbose``.
* If startup fails (bad ``WARDEN_MOTO_FAULTS``, port in use...), no ``PORT`` line
  is written and the process exits with a non-zero status.
* ``--exit-on-stdin-eof``: the process exits (status 0) as soon as its stdin
  reaches EOF, i.e. when the parent that holds the write end of the pipe dies
  or closes it, so a crashed test leaves no orphan server.
* SIGTERM and SIGINT end the process with status 0.
* Environment: ``WARDEN_MOTO_FAULTS`` (see ``moto_ext.FaultInjector``),
  ``WARDEN_MOTO_LATENCY`` and ``WARDEN_MOTO_QUOTAS`` (see ``moto_pace``); moto's
  own settings (``MOTO_*``) apply. ``MOTO_PORT`` is set to the bound port, as
  moto's own server does, for URLs that moto builds to point at itself.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to bind; 0 = pick a free one (default)")
    parser.add_argument(
        "--exit-on-stdin-eof",
        action="store_true",
        help="exit as soon as stdin reaches EOF (parent died or closed the pipe)",
    )
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    return parser.parse_args(argv)


def _watch_stdin() -> None:
    try:
        while sys.stdin.buffer.read(65536):
            pass
    except Exception:
        pass
    os._exit(0)


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)

    if args.exit_on_stdin_eof:
        threading.Thread(target=_watch_stdin, name="stdin-eof-watch", daemon=True).start()

    sys.path.insert(0, HERE)
    import moto_ext  # noqa: F401  (patches moto on import)
    import moto_monitoring  # noqa: F401  (CloudWatch alarms, anomaly detectors, query definitions)
    import moto_pace
    from moto_cbor import RpcV2CborMiddleware
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    class RequestHandler(MotoRequestHandler):
        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            if args.verbose:
                super().log_request(code, size)

    # CloudWatch's Smithy RPC v2 CBOR route, which moto does not serve (moto_cbor.py).
    app = RpcV2CborMiddleware(DomainDispatcherApplication(create_backend_app))
    app = moto_pace.install(app)  # AWS-like latency and quotas (WARDEN_MOTO_LATENCY/QUOTAS)
    server = make_server(args.host, args.port, app, threaded=True, request_handler=RequestHandler)
    port = server.server_port
    os.environ["MOTO_PORT"] = str(port)

    def _stop(signum: int, frame: object) -> None:
        os._exit(0)

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)

    sys.stdout.write(f"PORT {port}\n")
    sys.stdout.flush()
    # Close the original stdout (the reader sees EOF) and send any later output,
    # including moto's own print() calls, to stderr.
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    sys.stdout = sys.stderr

    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
