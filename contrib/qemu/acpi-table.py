#!/usr/bin/env python3
"""Write the ACPI table a guest needs to find the remote-iommu device: a DMAR (VT-d) or an IVRS (AMD-Vi).

QEMU builds a DMAR or IVRS only for its own intel-iommu and amd-iommu, so a guest whose IOMMU is `-device
remote-iommu` gets its table from `-acpitable file=...` (docs/qemu.md 2.4). This writes a minimal one, with the
header and checksum ACPI requires; no iasl needed.

  acpi-table.py dmar [--base 0xfed90000] [--haw 48] OUT
      one DRHD with INCLUDE_PCI_ALL at the register block, interrupt remapping off (DMAR flags 0)
  acpi-table.py ivrs --iommu 00:05.0 [--cap 0x40] [--base 0xfed80000] [--devices 00:00.0-00:1f.7] OUT
      one IVHD (type 10h) for the IOMMU function (its BDF, the offset of a capability in its configuration space:
      remote-iommu's MSI capability) covering the device range. Keep the range to the buses that exist: Linux
      invalidates every device table entry and interrupt table up to the last device ID at boot, two commands per
      ID, and over remote-port each command is a few round trips (a range of 0-ffff took about two minutes under TCG,
      00:00.0-00:1f.7 two seconds).
"""
import argparse
import struct
import sys


def table(signature, body, revision):
    header = struct.pack('<4sIBB6s8sI4sI', signature, 36 + len(body), revision, 0, b'IOMMUE', b'IOMMUEMU', 1, b'IEMU', 1)
    data = bytearray(header + body)
    data[9] = -sum(data) & 0xFF
    return bytes(data)


def bdf(text):
    bus, rest = text.split(':')
    dev, fn = rest.split('.')
    value = int(bus, 16) << 8 | int(dev, 16) << 3 | int(fn, 16)
    if int(bus, 16) > 0xFF or int(dev, 16) > 0x1F or int(fn, 16) > 7:
        raise argparse.ArgumentTypeError('not a BDF: ' + text)
    return value


def device_range(text):
    first, last = (bdf(part) for part in text.split('-'))
    if last < first:
        raise argparse.ArgumentTypeError('empty range: ' + text)
    return first, last


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    kinds = parser.add_subparsers(dest='kind', required=True)
    dmar = kinds.add_parser('dmar')
    dmar.add_argument('--base', type=lambda v: int(v, 0), default=0xFED90000)
    dmar.add_argument('--haw', type=int, default=48, help='host address width in bits')
    dmar.add_argument('out')
    ivrs = kinds.add_parser('ivrs')
    ivrs.add_argument('--iommu', type=bdf, required=True, help="the remote-iommu function's BB:DD.F")
    ivrs.add_argument('--cap', type=lambda v: int(v, 0), default=0x40)
    ivrs.add_argument('--base', type=lambda v: int(v, 0), default=0xFED80000)
    ivrs.add_argument('--devices', type=device_range, default=(0x0000, 0x00FF))
    ivrs.add_argument('out')
    args = parser.parse_args()
    if args.kind == 'dmar':
        drhd = struct.pack('<HHBBHQ', 0, 16, 1, 0, 0, args.base)  # type 0, length, INCLUDE_PCI_ALL, size, segment, base
        data = table(b'DMAR', struct.pack('<BB10s', args.haw - 1, 0, bytes(10)) + drhd, 1)
    else:
        first, last = args.devices
        entries = struct.pack('<BHB', 3, first, 0) + struct.pack('<BHB', 4, last, 0)  # start and end of range
        ivhd = struct.pack('<BBHHHQHHI', 0x10, 0, 24 + len(entries), args.iommu, args.cap, args.base, 0, 0, 0) + entries
        ivinfo = 48 << 8 | 48 << 15  # PASize, VASize
        data = table(b'IVRS', struct.pack('<I8s', ivinfo, bytes(8)) + ivhd, 1)
    with open(args.out, 'wb') as out:
        out.write(data)
    return 0


if __name__ == '__main__':
    sys.exit(main())
