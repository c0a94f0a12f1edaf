# The image of every Node server (mta, mda, imap, pop3, spam, webmail); the container's command
# picks one (components/containers/container-specs.ts). Built by `pulumi up` (classic builder)
# or by hand:  podman build -f images/server.Dockerfile -t mailstack-server .
#
# BASE_IMAGE: any Debian-based image with Node 24 and npm. Production uses the public Node image;
# where no registry is reachable, images/make-base.sh makes one.
ARG BASE_IMAGE=docker.io/library/node:24-bookworm-slim

FROM ${BASE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# Everything, for the compiler; only the production half goes into the image below.
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json ./
COPY images/tsconfig.servers.json images/
COPY servers servers
# The mailstack command too (backup, restore, queue, ...: docs/deploy.md); what it imports of
# stacks/ and components/ is pure (no Pulumi package).
COPY cli cli
COPY stacks stacks
COPY components components
RUN node node_modules/typescript/bin/tsc -p images/tsconfig.servers.json \
 && cp -r servers/webmail/client dist/servers/webmail/client
# Production dependencies only: what the servers and the command import. The Pulumi SDK and
# providers are development dependencies (package.json), needed only where `pulumi up` runs.
RUN mkdir /prod && cp package.json package-lock.json /prod/ \
 && cd /prod && npm ci --omit=dev --no-audit --no-fund --ignore-scripts

FROM ${BASE_IMAGE}
RUN groupadd --gid 10001 mailstack \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin mailstack \
 && mkdir -p /var/lib/mailstack/mail /var/lib/mailstack/spam /var/lib/mailstack/queue /var/lib/mailstack/webmail /run/mailstack /etc/mailstack/tls /etc/mailstack/secrets/dkim \
 && chown 10001:10001 /var/lib/mailstack /var/lib/mailstack/mail /var/lib/mailstack/spam /var/lib/mailstack/queue /var/lib/mailstack/webmail /run/mailstack
WORKDIR /app
COPY --from=build /src/package.json ./
COPY --from=build /prod/node_modules node_modules
COPY --from=build /src/dist ./
USER 10001:10001
ENV NODE_ENV=production MAILSTACK_CONFIG=/etc/mailstack/config.json
CMD ["node", "servers/mta/main.js"]
