#!/usr/bin/env python3
"""The house's size figures: the largest Swift files and functions under Sources/, files per folder, and lines
over 120 columns. What the house issue asks to report before and after a restructuring step.

    scripts/code-sizes.py [--top N]

A function's length counts from its `func`/`init` line to the brace that closes its body (braces in strings and
comments are skipped)."""
import pathlib, re, sys

top = int(sys.argv[sys.argv.index("--top") + 1]) if "--top" in sys.argv else 8
root = pathlib.Path(__file__).resolve().parent.parent / "Sources"
files = sorted(root.rglob("*.swift"))
declaration = re.compile(r"^\s*(?:@\w+\s+)*(?:(?:public|private|fileprivate|internal|static|override|mutating|final|"
                         r"convenience|required|nonisolated|@discardableResult)\s+)*(?:func\s+[^\s(<]+|init[?!]?)\s*[(<]")

def code(line):
    """The line without string literals and a trailing // comment."""
    line = re.sub(r'"(?:\\.|[^"\\])*"', '""', line)
    return line.split("//", 1)[0]

functions, long_lines = [], 0
for f in files:
    lines = f.read_text().splitlines()
    long_lines += sum(len(l) > 120 for l in lines)
    i = 0
    while i < len(lines):
        if declaration.match(lines[i]):
            depth, opened, j = 0, False, i
            while j < len(lines):
                c = code(lines[j])
                depth += c.count("{") - c.count("}")
                opened = opened or "{" in c
                if opened and depth <= 0: break
                if not opened and j > i and c.strip() == "": break      # a protocol requirement: no body
                j += 1
            if opened:
                name = re.search(r"(func\s+[^\s(<]+|init[?!]?)", lines[i]).group(1)
                functions.append((j - i + 1, f"{f.relative_to(root)}:{i + 1} {name}"))
        i += 1

sizes = sorted(((len(f.read_text().splitlines()), str(f.relative_to(root))) for f in files), reverse=True)
folders = {}
for f in files: folders[str(f.parent.relative_to(root))] = folders.get(str(f.parent.relative_to(root)), 0) + 1
print(f"{len(files)} Swift files, {sum(s for s, _ in sizes)} lines, {long_lines} lines over 120 columns")
print("largest files:"); [print(f"  {n:4d}  {p}") for n, p in sizes[:top]]
print("largest functions:"); [print(f"  {n:4d}  {p}") for n, p in sorted(functions, reverse=True)[:top]]
print("most files in one folder:"); [print(f"  {n:4d}  {p}") for p, n in sorted(folders.items(), key=lambda x: -x[1])[:top // 2]]
