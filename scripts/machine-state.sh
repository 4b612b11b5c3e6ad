#!/usr/bin/env bash
# What the test-suite could leave behind on this machine, one line per thing: listening TCP
# ports, Apache instances and their enabled sites, the test and scenario folders, the
# databases of the local PostgreSQL and MariaDB. `make test` compares it before and after.
set -uo pipefail
ss -ltnH 2>/dev/null | awk '{print "port " $4}' | sort -u
for conf in /etc/apache2 /etc/apache2-*; do
  [ -d "$conf" ] || continue
  echo "apache $conf"
  for site in "$conf"/sites-enabled/*; do [ -e "$site" ] && echo "site $site"; done
done
for dir in /srv/jampy-tests /srv/jampy-scenarios; do
  [ -d "$dir" ] && find "$dir" -mindepth 1 -maxdepth 1 -printf "folder %p\n"
done
if [ "$(id -u)" = 0 ]; then
  runuser -u postgres -- psql -Atqc "SELECT 'postgresql ' || datname FROM pg_database" 2>/dev/null
  mariadb -uroot -N -e "SELECT CONCAT('mariadb ', schema_name) FROM information_schema.schemata" 2>/dev/null
fi | sort
exit 0
