#!/bin/bash
# Starts slapd for mailstack: writes its config into /tmp/slapd (the container's /tmp is a
# tmpfs, so nothing of it outlives the container), creates the base entry on first start, then
# runs slapd in the foreground. The files (components/containers/layout.ts, on the container's
# config volume):
#   /etc/mailstack/directory.env                    BASE_DN ADMIN_DN SERVICE_DN PORT DATA_DIR
#   /etc/mailstack/secrets/directory-admin-password the rootdn's password (pulumi reconciles with it)
#   /etc/mailstack/tls/cert.pem, /etc/mailstack/secrets/tls.key   the stack's certificate
#
# TLS is required: on TCP, slapd answers only after StartTLS (`security ssf=1`; passwords never
# cross the network in clear). Its Unix socket, /tmp/slapd/ldapi, counts as secure: the health
# check uses it.
set -euo pipefail
# shellcheck source=/dev/null
. /etc/mailstack/directory.env
secrets=/etc/mailstack/secrets
cert=/etc/mailstack/tls/cert.pem
key=$secrets/tls.key
run=/tmp/slapd
mkdir -p -m 0700 "$run"
conf="$run/slapd.conf"
if [ ! -r "$cert" ] || [ ! -r "$key" ]; then
  echo "mailstack-directory: no certificate ($cert) or key ($key): TLS is required" >&2
  exit 1
fi
admin_hash="$(slappasswd -h '{SSHA}' -T "$secrets/directory-admin-password")"
umask 077
cat >"$conf" <<CONF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/misc.schema
# mailstack's own: the quota attribute (images/directory/mailstack.schema).
include /etc/ldap/schema/mailstack.schema
modulepath /usr/lib/ldap
moduleload back_mdb.so
moduleload argon2.so
pidfile $run/slapd.pid
argsfile $run/slapd.args
TLSCertificateFile $cert
TLSCertificateKeyFile $key
# TLS 1.2 or newer.
TLSProtocolMin 3.3
# Every operation needs a protected connection: StartTLS on TCP, or the local socket.
security ssf=1

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
exec slapd -f "$conf" -h "ldap://0.0.0.0:${PORT}/ ldapi://%2Ftmp%2Fslapd%2Fldapi/" -d 0
