#!/usr/bin/env python3
"""A lossy, slow Ethernet link between two TAP devices, for the reliability tests.

The test kernels have no `sch_netem`, so this process plays netem's part: it creates the
TAP devices NAME_A and NAME_B (the test then moves one into a network namespace and gives
both addresses), and forwards every frame from one to the other after DELAY seconds,
dropping each with probability LOSS, independently in both directions (ARP included).
It prints `ready` once the devices exist and runs until killed.

usage: impair.py NAME_A NAME_B LOSS DELAY [SEED]
"""
import fcntl
import heapq
import os
import random
import select
import struct
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000


def tap(name):
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TAP | IFF_NO_PI))
    return fd


def main():
    a, b = tap(sys.argv[1]), tap(sys.argv[2])
    loss, delay = float(sys.argv[3]), float(sys.argv[4])
    rng = random.Random(int(sys.argv[5]) if len(sys.argv) > 5 else None)
    other = {a: b, b: a}
    due = []  # (deliver at, order, out fd, frame)
    order = 0
    stats = {"forwarded": 0, "dropped": 0}
    print("ready", flush=True)
    while True:
        timeout = max(0.0, due[0][0] - time.monotonic()) if due else 1.0
        readable, _, _ = select.select([a, b], [], [], timeout)
        for fd in readable:
            frame = os.read(fd, 65536)
            if rng.random() < loss:
                stats["dropped"] += 1
                continue
            heapq.heappush(due, (time.monotonic() + delay, order, other[fd], frame))
            order += 1
        now = time.monotonic()
        while due and due[0][0] <= now:
            _, _, out, frame = heapq.heappop(due)
            try:
                os.write(out, frame)
                stats["forwarded"] += 1
            except OSError:
                pass  # the device is down (the test is tearing it down)


if __name__ == "__main__":
    main()
