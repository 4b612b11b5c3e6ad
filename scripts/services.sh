#!/usr/bin/env bash
# Install (when missing) and start the local services the test-suite talks to, all on
# loopback: PostgreSQL and MariaDB, plus Apache/mod_wsgi installed for the roles (the
# apache role's test starts and stops Apache itself) and chromium for its browser check.
# A test administrator account is created in each database server; its password is
# read from the environment (JAMPY_TEST_DB_PASSWORD) and never echoed.
set -euo pipefail

if [ "$(id -u)" != 0 ]; then
  echo "services: not root, so no packages are installed and no server is started."
  echo "services: tests that need PostgreSQL or MariaDB expect them on 127.0.0.1 with the"
  echo "services: account described in tests/README.md, and are skipped otherwise."
  exit 0
fi

packages=(postgresql mariadb-server libmariadb-dev pkg-config apache2 libapache2-mod-wsgi-py3 sqlite3 shellcheck chromium)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "services: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

password=${JAMPY_TEST_DB_PASSWORD:-jampy-test-pw}
user=${JAMPY_TEST_DB_ADMIN:-jampy_admin}

if ! runuser -u postgres -- pg_isready -q -h 127.0.0.1 2>/dev/null; then
  echo "services: starting PostgreSQL"
  service postgresql start >/dev/null
  for _ in $(seq 50); do runuser -u postgres -- pg_isready -q -h 127.0.0.1 && break; sleep 0.2; done
fi
runuser -u postgres -- psql -q -v ON_ERROR_STOP=1 -v user="$user" -v pw="$password" <<'SQL' >/dev/null
SELECT format('CREATE ROLE %I LOGIN SUPERUSER', :'user')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'user') \gexec
SELECT format('ALTER ROLE %I PASSWORD %L', :'user', :'pw') \gexec
SQL

if ! mariadb-admin ping --silent 2>/dev/null; then
  echo "services: starting MariaDB"
  service mariadb start >/dev/null
  for _ in $(seq 50); do mariadb-admin ping --silent 2>/dev/null && break; sleep 0.2; done
fi
mariadb -uroot <<SQL
CREATE USER IF NOT EXISTS '$user'@'localhost' IDENTIFIED BY '$password';
CREATE USER IF NOT EXISTS '$user'@'127.0.0.1' IDENTIFIED BY '$password';
ALTER USER '$user'@'localhost' IDENTIFIED BY '$password';
ALTER USER '$user'@'127.0.0.1' IDENTIFIED BY '$password';
GRANT ALL PRIVILEGES ON *.* TO '$user'@'localhost' WITH GRANT OPTION;
GRANT ALL PRIVILEGES ON *.* TO '$user'@'127.0.0.1' WITH GRANT OPTION;
SQL
echo "services: PostgreSQL and MariaDB are up on 127.0.0.1"
