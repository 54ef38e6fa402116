#!/bin/sh
# make audit: govulncheck over every package, against the Go vulnerability
# database. It never passes without having looked: when the database
# cannot be reached it says so and exits 2.
#   GOVULNDB  the database (default https://vuln.go.dev; a file:// URL
#             for an offline mirror: govulncheck -db)
#   GOVULNCHECK_VERSION  the pinned golang.org/x/vuln version
set -eu
GO=${GO:-go}
DB=${GOVULNDB:-https://vuln.go.dev}
VERSION=${GOVULNCHECK_VERSION:-v1.9.0}

case "$DB" in
file://*)
	dir=${DB#file://}
	if [ ! -f "$dir/index/db.json" ]; then
		echo "audit: NOT CHECKED: no vulnerability database at $dir (want $dir/index/db.json)" >&2
		exit 2
	fi ;;
*)
	if ! curl -fsS --max-time 15 -o /dev/null "$DB/index/db.json" 2>/tmp/edgedesk-audit-curl.$$; then
		echo "audit: NOT CHECKED: the Go vulnerability database at $DB could not be reached:" >&2
		sed 's/^/  /' /tmp/edgedesk-audit-curl.$$ >&2
		rm -f /tmp/edgedesk-audit-curl.$$
		echo "  run make audit where $DB is reachable, or point GOVULNDB at a mirror (GOVULNDB=file:///path)." >&2
		exit 2
	fi
	rm -f /tmp/edgedesk-audit-curl.$$ ;;
esac

echo "audit: govulncheck $VERSION against $DB"
# Exit 3: vulnerabilities that the code reaches; any other failure is a
# failure too (a check that did not run did not pass).
exec "$GO" run "golang.org/x/vuln/cmd/govulncheck@$VERSION" -db "$DB" ./...
