#!/usr/bin/env bash
# Run the named make targets one after the other, each even when an earlier one failed,
# then print one verdict line per stage and exit non-zero if any failed. A last verdict
# says whether the machine was left as it was found (scripts/machine-state.sh).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
declare -a verdicts
status=0
before=$(bash scripts/machine-state.sh)
for stage in "$@"; do
  echo "==> $stage"
  started=$SECONDS
  if make --no-print-directory "$stage"; then
    verdicts+=("$(printf '%-9s passed  (%ds)' "$stage" $((SECONDS - started)))")
  else
    verdicts+=("$(printf '%-9s FAILED  (%ds)' "$stage" $((SECONDS - started)))")
    status=1
  fi
done
after=$(bash scripts/machine-state.sh)
if [ "$before" = "$after" ]; then
  verdicts+=("machine   left as found")
else
  verdicts+=("machine   CHANGED (< before, > after):")
  verdicts+=("$(diff <(echo "$before") <(echo "$after") | grep '^[<>]')")
  status=1
fi
echo
echo "==> verdict"
printf '%s\n' "${verdicts[@]}"
exit $status
