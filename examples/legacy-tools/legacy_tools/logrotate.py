"""Rotate and prune log files the way the old cron job did."""

import gzip
import os
import shutil
import time


def rotated_name(path, n):
    return "%s.%d.gz" % (path, n)


def rotate(path, keep=5):
    if not os.path.exists(path):
        return False
    for n in range(keep - 1, 0, -1):
        older = rotated_name(path, n)
        if os.path.exists(older):
            os.replace(older, rotated_name(path, n + 1))
    with open(path, "rb") as src, gzip.open(rotated_name(path, 1), "wb") as dst:
        shutil.copyfileobj(src, dst)
    open(path, "w").close()
    return True


def prune(directory, max_age_days=30, now=None):
    now = time.time() if now is None else now
    removed = []
    for name in sorted(os.listdir(directory)):
        if not name.endswith(".gz"):
            continue
        full = os.path.join(directory, name)
        age_days = (now - os.path.getmtime(full)) / 86400
        if age_days > max_age_days:
            os.remove(full)
            removed.append(name)
    return removed


def disk_usage(directory):
    total = 0
    for root, _dirs, files in os.walk(directory):
        for name in files:
            total += os.path.getsize(os.path.join(root, name))
    return total


def human_size(n):
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024:
            return "%d %s" % (n, unit)
        n //= 1024
    return "%d TiB" % n
