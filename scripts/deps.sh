#!/bin/sh
# Installs the Debian packages Baton needs when they are missing.
# As root it runs apt-get; otherwise it prints the exact command to run.
set -eu
PKGS="build-essential pkg-config python3 sqlite3
libmicrohttpd-dev libjansson-dev libsodium-dev libsqlite3-dev libcurl4-openssl-dev
libzip-dev libpoppler-glib-dev libcmark-dev libxml2-dev libgmime-3.0-dev
libstemmer-dev liblinear-dev libhunspell-dev hunspell-en-us hunspell-en-med wordnet-dev wordnet-base
wrk poppler-utils
dovecot-imapd dovecot-lmtpd postfix"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then
	echo "deps: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	# Postfix for the email tests only: no system configuration (it runs with -c DIR).
	echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
	apt-get update -q >/dev/null
	apt-get install -y -q --no-install-recommends $missing >/dev/null
else
	echo "deps: missing packages. Run:"
	echo "  sudo apt-get install -y$missing"
	exit 1
fi
