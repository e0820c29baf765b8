#!/usr/bin/env python3
"""Zip a bundle directory for Lambda, keeping Unix permissions.

    python3 scripts/bundle/zipdir.py DIR ZIP [--max-mb 20]

`python3 -m zipfile -c` stores no permissions, and Lambda needs the executable bits of
`bootstrap`, `bin/bootstrap` and `lib/ld-linux-x86-64.so.2`. Entries are sorted and dated
1980-01-01, so the same bundle gives the same zip. Prints the size; exits 1 over --max-mb.
"""
import argparse
import os
import stat
import sys
import zipfile


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("directory")
    parser.add_argument("zip")
    parser.add_argument("--max-mb", type=float, default=20.0)
    args = parser.parse_args()

    files = []
    for root, dirs, names in os.walk(args.directory):
        dirs.sort()
        for name in sorted(names):
            files.append(os.path.join(root, name))
    if not files:
        print(f"zipdir: {args.directory} is empty", file=sys.stderr)
        return 1

    partial = args.zip + ".partial"
    unpacked = 0
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for path in files:
            mode = os.stat(path).st_mode
            if not stat.S_ISREG(mode):
                print(f"zipdir: {path} is not a regular file", file=sys.stderr)
                return 1
            info = zipfile.ZipInfo(os.path.relpath(path, args.directory), date_time=(1980, 1, 1, 0, 0, 0))
            info.create_system = 3  # Unix: external_attr carries the mode
            info.external_attr = (stat.S_IFREG | stat.S_IMODE(mode)) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            with open(path, "rb") as source:
                data = source.read()
            unpacked += len(data)
            archive.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    os.replace(partial, args.zip)

    size = os.path.getsize(args.zip)
    print(f"zipdir: {args.zip}: {size:,} bytes ({size / 1e6:.1f} MB), {len(files)} files, "
          f"{unpacked:,} bytes unpacked (limit {args.max_mb:g} MB)")
    if size > args.max_mb * 1e6:
        print(f"zipdir: {args.zip} is over {args.max_mb:g} MB", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
