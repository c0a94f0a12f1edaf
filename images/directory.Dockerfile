# The directory: Debian's OpenLDAP (slapd) with the standard schemas the servers read, our own
# small schema (images/directory/mailstack.schema: the quota) and the argon2 password module, run
# as a non-root user on a read-only root file system. The package's own example database is
# removed: the entrypoint creates ours on first start. It writes slapd's config into /tmp (a
# tmpfs) from /etc/mailstack/directory.env, the admin password secret and the certificate
# (images/directory/entrypoint.sh).
#   podman build -f images/directory.Dockerfile -t mailstack-directory .
ARG BASE_IMAGE=docker.io/library/debian:bookworm-slim
FROM ${BASE_IMAGE}
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends slapd ldap-utils ca-certificates >/dev/null \
 && rm -rf /var/lib/apt/lists/* /etc/ldap/slapd.d /var/lib/ldap/* \
 && groupadd --gid 10002 directory \
 && useradd --uid 10002 --gid 10002 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin directory \
 && mkdir -p /var/lib/ldap /etc/mailstack/tls /etc/mailstack/secrets \
 && chown 10002:10002 /var/lib/ldap
COPY images/directory/mailstack.schema /etc/ldap/schema/mailstack.schema
COPY images/directory/entrypoint.sh /usr/local/bin/mailstack-directory
USER 10002:10002
ENTRYPOINT ["/usr/local/bin/mailstack-directory"]
