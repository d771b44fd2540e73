#!/usr/bin/env python3
# angryip_like.py — an emulation, from its source, of the traffic of Angry IP Scanner's default
# scan (angryip/ipscan, which Debian does not ship), made with ordinary kernel sockets:
#
#  - ScannerConfig.java defaults: pinger "pinger.java", 3 pings, ping timeout 2000 ms, ports
#    "80,443,8080", port timeout 2000 ms adapted down to 3x the ping time (min 100 ms), up to
#    100 threads started 20 ms apart, dead hosts not port-scanned.
#  - JavaPinger.java calls InetAddress.isReachable(timeout) `count` times; OpenJDK without the
#    privilege for a raw ICMP socket (Inet4AddressImpl.c tcp_ping4) connects to TCP port 7
#    (echo): a refusal or a connection both mean "alive".
#  - PortsFetcher.java: per live host, the ports in the configured order, each a
#    java.net.Socket with setReceiveBufferSize(32) before connect(), then setSoLinger(true, 0)
#    and close(): an open port is reset right after the handshake, as nmap -sT does, but the
#    SYN's window comes from the clamped 32-byte receive buffer.
#
# Usage: angryip_like.py HOST... (IPv4 addresses inside 198.18.0.0/15 only). Bounded: every
# connect has a timeout, and the host list is the whole scan.
import errno
import ipaddress
import socket
import struct
import sys
import threading
import time

PING_COUNT = 3
PING_TIMEOUT = 2.0
PORTS = (80, 443, 8080)
PORT_TIMEOUT = 2.0
MIN_PORT_TIMEOUT = 0.1
THREAD_DELAY = 0.02
MAX_THREADS = 100
ALLOWED = ipaddress.ip_network("198.18.0.0/15")


def tcp_ping(host):
    """OpenJDK tcp_ping4: a connect to port 7; refused or connected both answer."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(PING_TIMEOUT)
    start = time.monotonic()
    try:
        s.connect((host, 7))
        return time.monotonic() - start
    except ConnectionRefusedError:
        return time.monotonic() - start
    except OSError:
        return None
    finally:
        s.close()


def scan_port(host, port, timeout):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32)
    s.settimeout(timeout)
    state = "closed"
    try:
        s.connect((host, port))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 16)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        state = "open"
    except socket.timeout:
        state = "filtered"
    except OSError as e:
        if e.errno not in (errno.ECONNREFUSED, errno.EHOSTUNREACH):
            raise
    finally:
        s.close()
    return state


results = {}


def scan_host(host):
    times = [t for t in (tcp_ping(host) for _ in range(PING_COUNT)) if t is not None]
    if not times:
        results[host] = "dead"
        return
    timeout = min(max(3 * sum(times) / len(times), MIN_PORT_TIMEOUT), PORT_TIMEOUT)
    results[host] = [p for p in PORTS if scan_port(host, p, timeout) == "open"]


def main():
    hosts = sys.argv[1:]
    for h in hosts:
        if ipaddress.ip_address(h) not in ALLOWED:
            sys.exit("refusing %s: outside 198.18.0.0/15" % h)
    threads = []
    for h in hosts:
        while sum(t.is_alive() for t in threads) >= MAX_THREADS:
            time.sleep(THREAD_DELAY)
        t = threading.Thread(target=scan_host, args=(h,))
        t.start()
        threads.append(t)
        time.sleep(THREAD_DELAY)
    for t in threads:
        t.join()
    for h in hosts:
        print(h, results.get(h))


main()
