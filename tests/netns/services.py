#!/usr/bin/env python3
"""services.py — small TCP/UDP services the namespace tests scan and use: echo, discard, HTTP.

Runs inside the test's target namespace only (started by lib.sh's
sw_services). Every service listens on every --bind address. Once all sockets
are bound and listening it writes READY to the --ready file, so the test can
start its capture and traffic without guessing how long start-up takes.
Stops on SIGTERM.
"""

import argparse
import http.server
import os
import signal
import socket
import socketserver
import sys
import threading

# Body served by the HTTP service: a few KB, so a fetch is several segments.
HTTP_BODY = b"".join(b"scanwatch test page line %04d\n" % i for i in range(128))


class EchoHandler(socketserver.BaseRequestHandler):
    """RFC 862 echo: send back every byte until the peer closes."""

    def handle(self):
        while True:
            data = self.request.recv(65536)
            if not data:
                return
            self.request.sendall(data)


class DiscardHandler(socketserver.BaseRequestHandler):
    """RFC 863 discard: read and drop until the peer closes."""

    def handle(self):
        while self.request.recv(65536):
            pass


class HttpHandler(http.server.BaseHTTPRequestHandler):
    """GET of any path answers 200 with HTTP_BODY."""

    protocol_version = "HTTP/1.0"

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(HTTP_BODY)))
        self.end_headers()
        self.wfile.write(HTTP_BODY)

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (self.client_address[0], fmt % args))


class UdpDiscardHandler(socketserver.BaseRequestHandler):
    """RFC 863 discard over UDP: every datagram dropped, none answered (a syslog
    collector's side of RFC 5426 looks the same on the wire)."""

    def handle(self):
        pass


class UdpEchoHandler(socketserver.BaseRequestHandler):
    def handle(self):
        data, sock = self.request
        sock.sendto(data, self.client_address)


def make_server(addr, port, handler, udp):
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    base = socketserver.ThreadingUDPServer if udp else socketserver.ThreadingTCPServer
    cls = type("Server", (base,), {
        "address_family": family,
        "allow_reuse_address": True,
        "daemon_threads": True,
        "request_queue_size": 128,
    })
    return cls((addr, port), handler)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bind", action="append", required=True, help="address to listen on (repeatable)")
    ap.add_argument("--ready", required=True, help="file to write READY to once listening")
    ap.add_argument("--tcp-echo", type=int, action="append", default=[])
    ap.add_argument("--tcp-discard", type=int, action="append", default=[])
    ap.add_argument("--http", type=int, action="append", default=[])
    ap.add_argument("--udp-echo", type=int, action="append", default=[])
    ap.add_argument("--udp-discard", type=int, action="append", default=[])
    args = ap.parse_args()

    specs = ([(p, EchoHandler, False) for p in args.tcp_echo] +
             [(p, DiscardHandler, False) for p in args.tcp_discard] +
             [(p, HttpHandler, False) for p in args.http] +
             [(p, UdpEchoHandler, True) for p in args.udp_echo] +
             [(p, UdpDiscardHandler, True) for p in args.udp_discard])
    if not specs:
        ap.error("no service given")
    servers = [make_server(a, p, h, u) for a in args.bind for p, h, u in specs]
    for s in servers:
        threading.Thread(target=s.serve_forever, daemon=True).start()

    tmp = args.ready + ".tmp"
    with open(tmp, "w") as f:
        f.write("READY\n")
    os.rename(tmp, args.ready)  # the reader never sees a half-written file

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    while True:
        signal.pause()


if __name__ == "__main__":
    main()
