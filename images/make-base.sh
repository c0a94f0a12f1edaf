#!/usr/bin/env bash
# Makes the local base image that CI builds our images on, where no container registry is
# reachable (../../shared/ENVIRONMENT.md): Debian bookworm from debootstrap, with Node 24 from the
# npm `node` package in node_modules and this machine's npm. Production builds use the public
# images instead (the Dockerfiles' BASE_IMAGE default).
#
#   images/make-base.sh [TAG]     default TAG: localhost/mailstack-base:bookworm
#
# The Debian mirror is the one this machine's apt already uses; none is written here.
set -euo pipefail
cd "$(dirname "$0")/.."
tag="${1:-localhost/mailstack-base:bookworm}"

mirror="$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)"
if [ -z "$mirror" ] && [ -f /etc/apt/sources.list ]; then
  mirror="$(awk '$1 == "deb" { print $2; exit }' /etc/apt/sources.list)"
fi
[ -n "$mirror" ] || { echo "make-base: no Debian mirror in this machine's apt sources" >&2; exit 1; }
[ -x node_modules/node/bin/node ] || { echo "make-base: run npm ci first (node_modules/node)" >&2; exit 1; }

root="$(mktemp -d)"
trap 'rm -rf "$root"' EXIT
debootstrap --variant=minbase bookworm "$root" "$mirror" >/dev/null
install -m 0755 node_modules/node/bin/node "$root/usr/local/bin/node"
npm_dir="$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")"
mkdir -p "$root/usr/local/lib/node_modules"
cp -a "$npm_dir" "$root/usr/local/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
# The certificate authorities this machine trusts, so npm and apt inside builds reach what the
# machine reaches (its egress may re-sign TLS).
mkdir -p "$root/etc/ssl/certs"
cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
tar -C "$root" -c . | podman import \
  --change 'CMD ["/bin/bash"]' \
  --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
  - "$tag" >/dev/null
echo "$tag"
