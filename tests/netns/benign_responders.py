#!/usr/bin/env python3
"""benign_responders.py — DNS, mDNS and SSDP responders for the benign corpus (benign_corpus.sh).

Runs inside the corpus's target namespace only. Each mode answers the queries
a real client program sends; none of them sends anything unasked.

  dns --addr A [--addr A ...]   one UDP socket on port 53 of each address;
                                every query gets one A record (RFC 1035 4.1)
  lan --link ADDR --addr A ...  mDNS (RFC 6762) and SSDP (UPnP Device
                                Architecture 1.1, 1.3.2): joins 224.0.0.251
                                and 239.255.255.250 on the link of ADDR and
                                answers every query unicast, once from each
                                host address A (several devices on one LAN)

Once every socket is bound it writes READY to the --ready file. Stops on
SIGTERM.
"""

import argparse
import os
import selectors
import signal
import socket
import struct
import sys

MDNS_GROUP, MDNS_PORT = "224.0.0.251", 5353
SSDP_GROUP, SSDP_PORT = "239.255.255.250", 1900


def question_end(q):
    """Offset just past the first question's QTYPE/QCLASS, or -1."""
    end = 12
    while end < len(q) and q[end]:
        if q[end] & 0xC0:
            return -1  # no compression in a question we answer
        end += q[end] + 1
    end += 5
    return end if end <= len(q) else -1


def dns_answer(q, addr):
    """One A record for the first question (RFC 1035 4.1.1, 4.1.3)."""
    end = question_end(q)
    if len(q) < 17 or end < 0:
        return None
    hdr = q[:2] + struct.pack("!HHHHH", 0x8180, 1, 1, 0, 0)
    ans = struct.pack("!HHHIH", 0xC00C, 1, 1, 300, 4) + socket.inet_aton(addr)
    return hdr + q[12:end] + ans


def name(labels):
    return b"".join(bytes([len(x)]) + x for x in labels) + b"\0"


def mdns_answer(q, host_index):
    """A legacy-unicast answer (RFC 6762 6.7): the query's ID, its question,
    and one PTR record naming this host's instance of the asked service."""
    end = question_end(q)
    if len(q) < 17 or end < 0 or (q[2] & 0x80):
        return None  # not a query
    qtype = struct.unpack("!H", q[end - 4:end - 2])[0]
    if qtype != 12:  # PTR only
        return None
    instance = b"\x0bdevice-%02d" % host_index + b"\xc0\x0c"  # "device-NN.<asked name>"
    rr = struct.pack("!HHHIH", 0xC00C, 12, 1, 10, len(instance)) + instance
    hdr = q[:2] + struct.pack("!HHHHH", 0x8400, 1, 1, 0, 0)
    return hdr + q[12:end] + rr


def ssdp_answer(q, addr, host_index):
    """The unicast 200 OK to an M-SEARCH (UDA 1.1, 1.3.3)."""
    if not q.startswith(b"M-SEARCH * HTTP/1.1\r\n") or b'"ssdp:discover"' not in q:
        return None
    st = b"ssdp:all"
    for line in q.split(b"\r\n"):
        if line.upper().startswith(b"ST:"):
            st = line[3:].strip()
    return (b"HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=1800\r\nEXT:\r\n"
            b"LOCATION: http://%s:80/device.xml\r\nSERVER: Linux/6 UPnP/1.1 benign/1\r\n"
            b"ST: %s\r\nUSN: uuid:00000000-0000-0000-0000-%012d::upnp:rootdevice\r\n\r\n"
            % (addr.encode(), st, host_index))


def udp(addr, port, reuse=False):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    if reuse:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    return s


def serve_dns(args, sel):
    for a in args.addr:
        sel.register(udp(a, 53), selectors.EVENT_READ, ("dns", a))


def serve_lan(args, sel):
    for group, port, kind in ((MDNS_GROUP, MDNS_PORT, "mdns"), (SSDP_GROUP, SSDP_PORT, "ssdp")):
        s = udp("", port, reuse=True)
        mreq = socket.inet_aton(group) + socket.inet_aton(args.link)
        s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
        sel.register(s, selectors.EVENT_READ, (kind, None))
    # One sending socket per host on the well-known port: RFC 6762 6 wants
    # mDNS answers from port 5353; SSDP devices answer from theirs too.
    args.senders = [(a, udp(a, MDNS_PORT, reuse=True), udp(a, SSDP_PORT, reuse=True)) for a in args.addr]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("mode", choices=("dns", "lan"))
    ap.add_argument("--addr", action="append", required=True)
    ap.add_argument("--link", help="lan: the link's own address (multicast interface)")
    ap.add_argument("--ready", required=True)
    args = ap.parse_args()
    sel = selectors.DefaultSelector()
    if args.mode == "dns":
        serve_dns(args, sel)
    else:
        if not args.link:
            ap.error("lan needs --link")
        serve_lan(args, sel)

    tmp = args.ready + ".tmp"
    with open(tmp, "w") as f:
        f.write("READY\n")
    os.rename(tmp, args.ready)  # the reader never sees a half-written file
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))

    while True:
        for key, _ in sel.select():
            kind, addr = key.data
            q, peer = key.fileobj.recvfrom(2048)
            if kind == "dns":
                r = dns_answer(q, "198.18.1.65")
                if r:
                    key.fileobj.sendto(r, peer)
                continue
            for i, (a, mdns_s, ssdp_s) in enumerate(args.senders):
                if kind == "mdns" and peer[1] != MDNS_PORT:
                    r = mdns_answer(q, i)
                    if r:
                        mdns_s.sendto(r, peer)
                elif kind == "ssdp":
                    r = ssdp_answer(q, a, i)
                    if r:
                        ssdp_s.sendto(r, peer)


if __name__ == "__main__":
    main()
