#!/usr/bin/env python3
"""Regenerates the seed corpus in tests/fuzz/corpus/ from the bundled traces (traces/*.pcap,
made by `nicsim gen`). Deterministic; keeps the whole corpus well under 1 MB.

  python3 tests/fuzz/make_corpus.py            # from the repository root

pdu_tracker: the controller->host TCP payload of one connection of each trace, from the first
  PDU after ICResp, as tracker records (see fuzz_pdu_tracker.cpp): once in order (op 0) and
  once with each packet at its absolute sequence in capture order (op 2: holes, duplicates and
  retransmissions of impaired traces reach the tracker as they are), cut into ~8 KiB pieces.
pcap: the first records of each trace as a small classic pcap.
sgl: a few hand-made SGL and DDP table encodings (see fuzz_sgl.cpp).
"""
import os
import shutil
import subprocess
import struct
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "tests", "fuzz", "corpus")
PIECE = 8 * 1024


def records(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    assert magic in (0xA1B2C3D4, 0xA1B23C4D), "classic little-endian pcap expected"
    off = 24
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack("<IIII", data[off:off + 16])
        yield data[off:off + 16 + incl]
        off += 16 + incl


def tcp(frame):
    """(src port, dst port, seq, payload) or None."""
    et, o = struct.unpack(">H", frame[12:14])[0], 14
    while et in (0x8100, 0x88A8):
        et, o = struct.unpack(">H", frame[o + 2:o + 4])[0], o + 4
    if et == 0x0800:
        ihl = (frame[o] & 15) * 4
        total = struct.unpack(">H", frame[o + 2:o + 4])[0]
        if frame[o + 9] != 6:
            return None
        l4, end = o + ihl, o + total
    elif et == 0x86DD:
        plen = struct.unpack(">H", frame[o + 4:o + 6])[0]
        if frame[o + 6] != 6:
            return None
        l4, end = o + 40, o + 40 + plen
    else:
        return None
    sport, dport, seq = struct.unpack(">HHI", frame[l4:l4 + 8])
    doff = (frame[l4 + 12] >> 4) * 4
    return sport, dport, seq, frame[l4 + doff:end]


def tracker_seeds(name, path):
    pkts = [tcp(r[16:]) for r in records(path)]
    pkts = [p for p in pkts if p and p[3]]
    c2h = [p for p in pkts if p[0] == 4420]
    h2c = [p for p in pkts if p[1] == 4420]
    port = c2h[0][1]  # first connection
    c2h = [p for p in c2h if p[1] == port]
    icreq = next(p[3] for p in h2c if p[0] == port and p[3][0] == 0x00)
    icresp = c2h[0]
    assert icresp[3][0] == 0x01 and len(icresp[3]) == 128
    dgst, hpda = icreq[11], icreq[10]
    cfg = (dgst & 1) | (dgst & 2) | ((hpda & 3) << 2)
    start = (icresp[2] + 128) & 0xFFFFFFFF
    rest = c2h[1:]
    head = struct.pack("<BBI", cfg, 4 | (1 << 3), start)
    # In order: the stream reassembled by sequence (first copy wins), re-cut at the packets.
    seen, stream = set(), []
    for p in sorted(rest, key=lambda p: (p[2] - start) & 0xFFFFFFFF):
        if p[2] not in seen:
            seen.add(p[2])
            stream.append(p)
    variants = {"inorder": [(0, p) for p in stream], "capture": [(2, p) for p in rest]}
    out = []
    for vname, recs in variants.items():
        piece, n = bytearray(head), 0
        for op, (_, _, seq, pl) in recs:
            rec = struct.pack("<B", op) + (struct.pack("<I", seq) if op == 2 else b"")
            piece += rec + struct.pack("<H", len(pl)) + pl
            if len(piece) >= PIECE:
                out.append((f"{name}_{vname}_{n}", bytes(piece)))
                n += 1
                if n == 3:
                    break
                # The next piece starts where this one ended.
                nxt = (seq + len(pl)) & 0xFFFFFFFF
                piece = bytearray(struct.pack("<BBI", cfg, 4 | (1 << 3), nxt))
        else:
            if len(piece) > len(head):
                out.append((f"{name}_{vname}_{n}", bytes(piece)))
    # Later pieces start mid-stream, maybe mid-PDU: the tracker just searches there. Fine.
    return out


def pcap_seed(path, count=24, limit=16 * 1024):
    with open(path, "rb") as f:
        hdr = f.read(24)
    body = bytearray()
    for i, r in enumerate(records(path)):
        if i == count or len(body) + len(r) > limit:
            break
        body += r
    return hdr + bytes(body)


def sgl_seeds():
    def entry(kind, addr, ln):
        b = bytes([kind])
        lk, ak = kind & 3, (kind >> 2) & 3
        b += [lambda: struct.pack("<B", ln - 1), lambda: struct.pack("<H", ln),
              lambda: struct.pack("<I", ln), lambda: b""][lk]()
        if ak == 0:
            b += struct.pack("<H", addr >> 12)
        elif ak == 1:
            b += struct.pack("<H", 0xFFFFFFFFFFFFFFFF - addr)
        else:
            b += struct.pack("<Q", addr)
        return b

    seeds = {}
    # Three 4 KiB pages, exact io_len, sequential then random queries.
    s = bytes([0, 16, 3]) + entry(2 | 8, 0x10000, 4096) + entry(2 | 8, 0x30000, 4096) + \
        entry(2 | 8, 0x20000, 4096) + bytes([1])
    for off, ln in ((0, 1000), (1000, 3096), (4096, 8192), (100, 5000), (12288, 0), (12287, 2)):
        s += bytes([0x10 | (3 << 1)]) + struct.pack("<I", off) + struct.pack("<I", ln)
    seeds["three_pages"] = s
    # An entry ending at 2^64 - 1 and one wrapping; odd lengths.
    s = bytes([0, 8, 3]) + entry(2 | 4, 0xFFFFFFFFFFFFFFFF - 100, 101) + entry(0, 0x1000, 7) + entry(2 | 4, 0xFFFFFFFFFFFFFFFF - 5, 4096) + \
        bytes([0]) + struct.pack("<I", 4204)
    for off, ln in ((0, 101), (50, 100), (0, 4204)):
        s += bytes([0x10 | (3 << 1)]) + struct.pack("<I", off) + struct.pack("<I", ln)
    seeds["edge_of_space"] = s
    # DDP table: queue 8, 4 entries max; setup, lookup+translate, completion, teardown, reuse.
    d = bytes([1, 8, 4])
    d += bytes([0, 3, 2]) + entry(1, 0x4000, 512) + entry(1, 0x8000, 512) + struct.pack("<I", 7)
    d += bytes([4 | (3 << 1), 3]) + struct.pack("<I", 100) + struct.pack("<H", 800)
    d += bytes([3, 3]) + struct.pack("<I", 9)
    d += bytes([1, 3]) + bytes([4, 3]) + bytes([2, 3])
    d += bytes([0, 3, 1]) + entry(1, 0x4000, 1024) + struct.pack("<I", 20)
    d += bytes([5, 3]) + struct.pack("<I", 0) + struct.pack("<H", 1024)
    d += bytes([0, 9, 1]) + entry(1, 0x4000, 1024) + struct.pack("<I", 0)
    d += bytes([0x40, 4, 1]) + entry(1, 0x4000, 1024) + struct.pack("<I", 1000) + struct.pack("<I", 0)
    seeds["ddp_lifecycle"] = d
    return seeds


def write(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def main():
    traces = sorted(f for f in os.listdir(os.path.join(ROOT, "traces")) if f.endswith(".pcap"))
    for t in traces:
        path = os.path.join(ROOT, "traces", t)
        name = t[:-5]
        for n, data in tracker_seeds(name, path):
            write("pdu_tracker", n, data)
        write("pcap", name + ".pcap", pcap_seed(path))
    # One pcapng too, when Wireshark's editcap is around (tshark brings it).
    src = os.path.join(OUT, "pcap", "inorder_4flows.pcap")
    if shutil.which("editcap") and os.path.exists(src):
        subprocess.run(["editcap", "-F", "pcapng", src, os.path.join(OUT, "pcap", "inorder_4flows.pcapng")],
                       check=True)
    for n, data in sgl_seeds().items():
        write("sgl", n, data)
    total = sum(os.path.getsize(os.path.join(dp, f)) for dp, _, fs in os.walk(OUT) for f in fs)
    print(f"corpus: {total} bytes", file=sys.stderr)
    assert total < 1 << 20


if __name__ == "__main__":
    main()
