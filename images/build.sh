#!/usr/bin/env bash
# Builds the images the stack runs, with podman, where no container registry is reachable:
# the local base (images/make-base.sh) when it is missing, then the server and directory images.
# `.ci/run` calls it; so can a developer before `npx tsx --test test/containers.test.ts`.
#
#   images/build.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export CONTAINERS_CONF="${CONTAINERS_CONF:-$PWD/images/containers.conf}"
base=localhost/mailstack-base:bookworm

podman image exists "$base" || images/make-base.sh "$base"
for name in server directory; do
  podman build --quiet --network=host --build-arg "BASE_IMAGE=$base" \
    -f "images/$name.Dockerfile" -t "localhost/mailstack-$name:latest" . >/dev/null
  echo "localhost/mailstack-$name:latest"
done
