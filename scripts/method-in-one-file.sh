#!/usr/bin/env bash
# A method is one file plus one registry line: remove both for METHOD in a scratch checkout of HEAD, build `seta`,
# and show that nothing else needed a change (the diff) and that the tool runs without the method.
#
#   scripts/method-in-one-file.sh seq-lora
#
# Then the same file and line put back build again (the checkout is HEAD). Tests that use the method's class directly
# (its own tests, and tests that take it as a simple baseline) are listed, not edited. A full build: a few minutes.
set -euo pipefail
method=${1:?usage: scripts/method-in-one-file.sh METHOD}
repo=$(cd "$(dirname "$0")/.." && pwd)
file=$(grep -l "name: \"$method\", summary:" "$repo"/Sources/SetaContinual/Strategies/*.swift | head -1)
[[ -n "$file" ]] || { echo "error: no strategy file declares the method $method" >&2; exit 1; }
type=$(grep -oE '^(public )?(final )?class [A-Za-z]+' "$file" | head -1 | awk '{print $NF}')
entry=$(grep -oE "static let [A-Za-z]+ = ContinualMethod" "$file" | awk '{print $3}')
registry=Sources/SetaContinual/Methods/Methods.swift
work=$(mktemp -d)
trap 'git -C "$repo" worktree remove --force "$work/tree" >/dev/null 2>&1; rm -rf "$work"' EXIT
git -C "$repo" worktree add -q --detach "$work/tree" HEAD
cd "$work/tree"
git rm -q "${file#"$repo"/}"
grep -q "^        $type.$entry,$" "$registry" || { echo "error: no line '$type.$entry,' in $registry" >&2; exit 1; }
sed -i "/^        $type.$entry,$/d" "$registry"
echo "removed: ${file#"$repo"/} ($type) and its registry line:"
git diff --cached --stat; git diff --stat
echo "lines changed outside the method's file: $(git diff --numstat | awk '{s += $1 + $2} END {print s + 0}')"
swift build --product seta >"$work/build.log" 2>&1 || { tail -30 "$work/build.log"; echo "error: the build failed without $method" >&2; exit 1; }
echo "seta builds without $method; seta methods lists: $(.build/debug/seta methods --markdown | grep -oE '^\| `[a-z][a-z0-9-]*` ' | tr -d '|` ' | paste -sd ' ')"
if .build/debug/seta train --method "$method" --out "$work/run" --data x --tasks y >/dev/null 2>"$work/err"; then
    echo "error: train still accepts --method $method" >&2; exit 1
fi
echo "seta train --method $method: $(grep -m1 -i error "$work/err")"
echo "tests that name $type directly: $(grep -rlw "$type" Tests --include='*.swift' | paste -sd ' ')"
