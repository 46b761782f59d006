"""Draws Kept's app icon (a check mark on a teal rounded square) as RGBA PNGs
in every size tauri.conf.json names. Pure Python: `python3 icons/make_icons.py`."""
import struct
import zlib
import os

def seg_dist(px, py, ax, ay, bx, by):
    dx, dy = bx - ax, by - ay
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
    cx, cy = ax + t * dx, ay + t * dy
    return ((px - cx) ** 2 + (py - cy) ** 2) ** 0.5

def pixel(x, y):
    # Coordinates in [0, 1]; 4x4 supersampling is done by the caller.
    r = 0.2  # corner radius
    inside = True
    for cx, cy in ((r, r), (1 - r, r), (r, 1 - r), (1 - r, 1 - r)):
        if (x < r or x > 1 - r) and (y < r or y > 1 - r):
            if ((x - (r if x < 0.5 else 1 - r)) ** 2 + (y - (r if y < 0.5 else 1 - r)) ** 2) ** 0.5 > r:
                inside = False
    if not inside or x < 0 or y < 0 or x > 1 or y > 1:
        return (0, 0, 0, 0)
    d = min(seg_dist(x, y, 0.27, 0.52, 0.44, 0.69), seg_dist(x, y, 0.44, 0.69, 0.75, 0.33))
    if d < 0.075:
        return (255, 255, 255, 255)
    return (15, 118, 110, 255)

def png(size, path):
    rows = []
    n = 4
    for j in range(size):
        row = bytearray([0])
        for i in range(size):
            acc = [0, 0, 0, 0]
            for sj in range(n):
                for si in range(n):
                    p = pixel((i + (si + 0.5) / n) / size, (j + (sj + 0.5) / n) / size)
                    for k in range(4):
                        acc[k] += p[k]
            row += bytes(v // (n * n) for v in acc)
        rows.append(bytes(row))
    raw = zlib.compress(b"".join(rows), 9)
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(data)

here = os.path.dirname(os.path.abspath(__file__))
for size, name in ((32, "32x32.png"), (128, "128x128.png"), (256, "128x128@2x.png"), (512, "icon.png")):
    png(size, os.path.join(here, name))
