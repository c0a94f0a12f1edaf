#!/bin/bash
# Starts slapd for mailstack: writes its config into /tmp/slapd (the container's /tmp is a
# tmpfs, so nothing of it outlives the container), creates the base entry on first start, then
# runs slapd in the foreground.
#   /etc/mailstack/directory.env            BASE_DN ADMIN_DN SERVICE_DN PORT DATA_DIR (not secret)
#   /run/secrets/directory-admin-password   the rootdn's password (the stack reconciles with it)
#   /etc/mailstack/tls/cert.pem, /run/secrets/tls.key   StartTLS, when present
set -euo pipefail
# shellcheck source=/dev/null
. /etc/mailstack/directory.env
run=/tmp/slapd
mkdir -p -m 0700 "$run"
conf="$run/slapd.conf"
admin_hash="$(slappasswd -h '{SSHA}' -T /run/secrets/directory-admin-password)"
tls=""
if [ -r /etc/mailstack/tls/cert.pem ] && [ -r /run/secrets/tls.key ]; then
  tls="TLSCertificateFile /etc/mailstack/tls/cert.pem
TLSCertificateKeyFile /run/secrets/tls.key"
fi
umask 077
cat >"$conf" <<CONF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/misc.schema
modulepath /usr/lib/ldap
moduleload back_mdb.so
moduleload argon2.so
pidfile $run/slapd.pid
argsfile $run/slapd.args
$tls

database mdb
suffix "$BASE_DN"
rootdn "$ADMIN_DN"
rootpw $admin_hash
directory $DATA_DIR
maxsize 1073741824
index objectClass eq
index uid,mail,mailLocalAddress eq

# Passwords: anyone may bind with one (that is how users log in), a user may replace their own
# (the webmail's password change) but not read it, nobody else reads or writes them.
access to attrs=userPassword
  by self =w
  by anonymous auth
  by * none
# The servers' service account reads the directory; a user reads their own entry.
access to dn.subtree="$BASE_DN"
  by dn.exact="$SERVICE_DN" read
  by self read
  by * none
CONF

if [ ! -e "$DATA_DIR/data.mdb" ]; then
  dc="${BASE_DN#dc=}"
  dc="${dc%%,*}"
  printf 'dn: %s\nobjectClass: dcObject\nobjectClass: organization\ndc: %s\no: mailstack\n' \
    "$BASE_DN" "$dc" | slapadd -f "$conf"
fi
exec slapd -f "$conf" -h "ldap://0.0.0.0:${PORT}/" -d 0
