#!/usr/bin/env python3
"""Removes appended module signatures in place, so the corpus starts unsigned."""
import os
import struct
import sys

MAGIC = b"~Module signature appended~\n"


def strip(path):
    with open(path, "r+b") as f:
        f.seek(0, os.SEEK_END)
        size = f.tell()
        if size < 40:
            return
        f.seek(size - 40)
        tail = f.read(40)
        if tail[12:] != MAGIC:
            return
        sig_len = struct.unpack(">I", tail[8:12])[0]
        f.truncate(size - 40 - sig_len)


for root, _, files in os.walk(sys.argv[1]):
    for name in files:
        if name.endswith(".ko"):
            strip(os.path.join(root, name))
