#!/usr/bin/env bash
# The molecule scenarios (extensions/molecule/*): whole deployments on this host with real
# PostgreSQL, MariaDB, SQLite and Apache/mod_wsgi. Playbooks run with -v; the output of
# each scenario is kept in tests/output/ and must hold no password and no warning of ours.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ]; then
  echo "molecule: the scenarios configure Apache and databases and need root: skipped."
  exit 0
fi
export PATH="$PWD/.venv/bin:$PATH" ANSIBLE_CONFIG="$PWD/ansible.cfg" ANSIBLE_VERBOSITY=1
export JAMPY_TEST_PYTHON="$PWD/.venv/bin/python"
JAMPY_SCENARIO_DB_PASSWORD="s$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export JAMPY_SCENARIO_DB_PASSWORD
# The administrator's password of the deployed projects; the verify steps read it from a
# private file (never from a command line).
JAMPY_SCENARIO_ADMIN_PASSWORD="a$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
JAMPY_SCENARIO_ADMIN_PASSWORD_FILE=$(mktemp)
trap 'rm -f "$JAMPY_SCENARIO_ADMIN_PASSWORD_FILE"' EXIT
printf '%s' "$JAMPY_SCENARIO_ADMIN_PASSWORD" > "$JAMPY_SCENARIO_ADMIN_PASSWORD_FILE"
export JAMPY_SCENARIO_ADMIN_PASSWORD JAMPY_SCENARIO_ADMIN_PASSWORD_FILE
mkdir -p tests/output /srv/jampy-scenarios
# The scenarios deploy on the main Apache (the roles' default); stop it again at the end
# if it was not running before, so that the machine is left as it was found.
main_pid=/var/run/apache2/apache2.pid
apache_was_running=false
[ -f $main_pid ] && kill -0 "$(cat $main_pid)" 2>/dev/null && apache_was_running=true
status=0
# Every scenario, or the ones named: scripts/molecule.sh mariadb_live
scenarios=("$@")
[ ${#scenarios[@]} -gt 0 ] || for dir in extensions/molecule/*/molecule.yml; do
  scenarios+=("$(basename "$(dirname "$dir")")")
done
for scenario in "${scenarios[@]}"; do
  log="tests/output/molecule-$scenario.log"
  echo "molecule: $scenario"
  if ! molecule test -s "$scenario" > "$log" 2>&1; then
    echo "molecule: $scenario failed, see $log"; tail -40 "$log"; status=1
  elif grep -qF -e "$JAMPY_SCENARIO_DB_PASSWORD" -e "$JAMPY_SCENARIO_ADMIN_PASSWORD" "$log"; then
    echo "molecule: $scenario printed a password (see $log)"; status=1
  elif ! .venv/bin/python -m tests.harness.tool_warnings "$log"; then
    echo "molecule: $scenario printed warnings of jampy.deploy's (see $log)"; status=1
  else
    grep -A1 "SCENARIO RECAP" "$log" | tail -1
  fi
done
if ! $apache_was_running && [ -f $main_pid ]; then
  service apache2 stop >/dev/null 2>&1 || true
fi
exit $status
