#!/usr/bin/env bash
# The test command of `make test` (and so of CI, .ci/run): `swift test`, then the skipped tests by reason.
# Every skip says why in one line, starting with its kind (Tests/SetaTestSupport/Prerequisites.swift):
#   "CPU feature: …"          a skip on this machine, always allowed — listed at the end;
#   "missing install step: …" `make test` installs these (model, Open MPI, qemu-user, data, seta executable); under
#                             SETA_REQUIRE_SUITES=1 (exported by .ci/run) such a suite fails instead of skipping.
# Under SETA_REQUIRE_SUITES=1 this script also fails the run on any skip that is not a CPU-feature skip (a suite
# gated some other way), so a green CI cannot hide a suite that did not run.
# Arguments go to `swift test` (e.g. --filter SETAMathTests).
set -uo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp "${TMPDIR:-/tmp}/seta-test-log.XXXXXX")
trap 'rm -f "$log"' EXIT
${SWIFT:-swift} test "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

skips=$(grep -E '^\S+ (Test|Suite) .* skipped' "$log" | sed -E 's/^\S+ //' || true)
cpu=$(grep -F '"CPU feature:' <<<"$skips" || true)
other=$(grep -vF '"CPU feature:' <<<"$skips" | grep -v '^$' || true)
echo
echo "── Skipped tests ──"
if [[ -z "$skips" ]]; then echo "none"; fi
if [[ -n "$cpu" ]]; then echo "CPU-feature skips (allowed; this CPU lacks the feature):"; sed 's/^/  /' <<<"$cpu"; fi
if [[ -n "$other" ]]; then echo "Other skips:"; sed 's/^/  /' <<<"$other"; fi
required=${SETA_REQUIRE_SUITES:-}
if [[ -n "$required" && "$required" != 0 && -n "$other" ]]; then
    echo "error: SETA_REQUIRE_SUITES=1 and $(wc -l <<<"$other") test(s) skipped for a reason other than a CPU feature (above)" >&2
    [[ $status -eq 0 ]] && status=1
fi
exit "$status"
