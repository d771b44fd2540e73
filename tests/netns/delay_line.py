#!/usr/bin/env python3
"""delay_line.py — a two-port Ethernet relay that makes one kind of frame late, for a slow path.

Usage: delay_line.py NEAR-IF FAR-IF DELAY-SECONDS READY-FILE

Every frame received on one interface is sent out of the other unchanged, at once, except the
TCP SYN-ACKs over IPv6 coming from FAR-IF, which are held DELAY-SECONDS first: an IPv6 path
on which connections open slowly and everything else passes, as a slow tunnel or a congested
upstream shows a dual-stack client. The kernel has no netem here (CONFIG_NET_SCH_NETEM is not
set), so the delay is made in user space. No frame is built or altered: the relay only moves
the kernel's frames, so checksums must be complete when they are sent (ethtool -K ... tx off
on the veth ends, as benign_corpus.sh's link() does). Frames the relay sent itself come back
to its sockets as PACKET_OUTGOING and are skipped. Writes READY to READY-FILE once both sockets
are bound.
"""
import heapq
import select
import socket
import sys
import time

ETH_P_ALL = 0x0003
ETH_P_IPV6 = b"\x86\xdd"
IPPROTO_TCP = 6
SYN_ACK = 0x12


def bound(ifname):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((ifname, 0))
    s.setblocking(False)
    return s


def late(frame):
    """An IPv6 TCP segment with SYN and ACK set and no extension header (a kernel's SYN-ACK)."""
    return (
        len(frame) >= 14 + 40 + 20
        and frame[12:14] == ETH_P_IPV6
        and frame[14 + 6] == IPPROTO_TCP
        and frame[14 + 40 + 13] & (SYN_ACK | 0x05) == SYN_ACK
    )


def main():
    near_if, far_if, delay, ready = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
    near, far = bound(near_if), bound(far_if)
    held, n = [], 0  # (due, order, frame)
    with open(ready, "w") as f:
        f.write("READY\n")
    while True:
        now = time.monotonic()
        while held and held[0][0] <= now:
            near.send(heapq.heappop(held)[2])
        wait = max(0.0, held[0][0] - now) if held else None
        readable, _, _ = select.select([near, far], [], [], wait)
        for s in readable:
            while True:
                try:
                    frame, addr = s.recvfrom(65536)
                except BlockingIOError:
                    break
                if addr[2] == socket.PACKET_OUTGOING:
                    continue
                if s is near:
                    far.send(frame)
                elif late(frame):
                    n += 1
                    heapq.heappush(held, (time.monotonic() + delay, n, frame))
                else:
                    near.send(frame)


if __name__ == "__main__":
    main()
