#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Summarises yosys `stat -json -top` of the FPGA kernel as LUT / FF / DSP / BRAM / URAM counts and
sets them against an Alveo U250 (xcu250). Usage: yosys_resources.py STAT.json [--out RESULT.json]

The counts are yosys's hierarchical totals for UltraScale+ cells. A LUT6_2 counts as one LUT; a
shift register (SRL16E / SRLC32E) and distributed RAM occupy LUTs too and are counted in `lut`
and listed apart. RAMB36E2 counts as one block RAM, RAMB18E2 as half.
"""
import argparse
import json
import sys

# Alveo U250 (xcu250-figd2104-2L-e): the card data sheet's resource figures.
U250 = {"lut": 1728000, "ff": 3456000, "dsp": 12288, "bram36": 2688, "uram": 1280}


def summarise(cells):
    r = {"lut_logic": 0, "lut_srl": 0, "lut_ram": 0, "ff": 0, "dsp": 0, "bram36": 0.0, "uram": 0, "carry": 0}
    other = {}
    for cell, n in cells.items():
        if cell.startswith("LUT") or cell == "INV":  # an inverter is a LUT1 on the device
            r["lut_logic"] += n
        elif cell.startswith("SRL"):
            r["lut_srl"] += n
        elif cell.startswith("RAM") and not cell.startswith("RAMB"):
            r["lut_ram"] += n
        elif cell.startswith("FD"):
            r["ff"] += n
        elif cell.startswith("DSP48"):
            r["dsp"] += n
        elif cell == "RAMB36E2":
            r["bram36"] += n
        elif cell == "RAMB18E2":
            r["bram36"] += 0.5 * n
        elif cell.startswith("URAM"):
            r["uram"] += n
        elif cell.startswith("CARRY"):
            r["carry"] += n
        else:
            other[cell] = n
    r["lut"] = r["lut_logic"] + r["lut_srl"] + r["lut_ram"]
    r["other_cells"] = other
    return r


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("stat")
    ap.add_argument("--out")
    a = ap.parse_args()
    # yosys 0.23 writes the hierarchy tree as plain text into `stat -json -top`, which makes the
    # file invalid JSON: decode just the "design" object (the hierarchical totals).
    try:
        text = open(a.stat).read()
        at = text.find('"design":')
        design = json.JSONDecoder().raw_decode(text, text.index("{", at))[0] if at >= 0 else None
    except (OSError, ValueError) as e:
        sys.exit(f"yosys_resources.py: cannot read {a.stat}: {e}")
    if not design:
        sys.exit(f"yosys_resources.py: {a.stat} has no 'design' totals; run `stat -json -top <module>`")
    r = summarise(design["num_cells_by_type"])
    r["u250_percent"] = {k: round(100.0 * r[k] / U250[k], 2) for k in U250}
    print(f"{'resource':10} {'used':>10} {'U250':>10} {'%':>7}")
    for k in ("lut", "ff", "dsp", "bram36", "uram"):
        print(f"{k:10} {r[k]:>10g} {U250[k]:>10} {r['u250_percent'][k]:>7.2f}")
    print(f"(LUTs: {r['lut_logic']} logic, {r['lut_srl']} shift registers, {r['lut_ram']} distributed RAM; "
          f"{r['carry']} carry chains)")
    if r["dsp"] > U250["dsp"] // 2:
        print(f"warning: {r['dsp']} DSPs is more than half of the U250's {U250['dsp']}", file=sys.stderr)
    if a.out:
        with open(a.out, "w") as f:
            json.dump(r, f, indent=1)
            f.write("\n")


if __name__ == "__main__":
    main()
