# syntax=docker/dockerfile:1
# The alertpipe collector: OTLP/HTTP in on 4318, the status endpoint and Alertmanager v2 API on 13133,
# state (SQLite) on the /var/lib/alertpipe volume, running as an unprivileged user. No secret is
# baked in: SLACK_WEBHOOK_URL, SENTRY_DSN and ALERTPIPE_STATUS_TOKEN come from the environment at run
# time (docker run -e, compose, a secret manager).
#
#   docker build -t alertpipe .
#   docker run -p 4318:4318 -p 13133:13133 -e ALERTPIPE_STATUS_TOKEN=$(openssl rand -hex 32) \
#     -e SLACK_WEBHOOK_URL=https://hooks.slack.com/services/… -v alertpipe-state:/var/lib/alertpipe alertpipe
#
# Your own pipeline.yaml: mount it at /etc/alertpipe/pipeline.yaml (read instead of the embedded
# default), or pass `run --config /path/in/container.yaml --set key::path=value`.

ARG NODE_IMAGE=node:22-slim

# --- build: compile the TypeScript and write pipeline.schema.json ---------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# No install scripts: `prepare` would build before the sources are copied, and the image's own Node
# (not the `node` dev dependency's download) runs the build.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json pipeline.yaml ./
COPY scripts ./scripts
COPY src ./src
COPY processors ./processors
COPY exporters ./exporters
RUN node node_modules/typescript/bin/tsc -p tsconfig.build.json && node scripts/write-schema.ts

# --- runtime: the built package with its production dependencies only ------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /opt/alertpipe
COPY --from=build /src/package.json /src/package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /src/dist ./dist
COPY --from=build /src/pipeline.yaml /src/pipeline.schema.json ./
COPY LICENSE README.md ./

# State on a volume the unprivileged user owns; /etc/alertpipe holds a mounted pipeline.yaml.
RUN mkdir -p /var/lib/alertpipe /etc/alertpipe && chown 1000:1000 /var/lib/alertpipe
VOLUME ["/var/lib/alertpipe"]

# Listen on every interface of the container (the port mappings decide who reaches it). alertpipe
# warns at start that the status endpoint is reachable: set ALERTPIPE_STATUS_TOKEN.
ENV ALERTPIPE_OTLP_ENDPOINT=0.0.0.0:4318 \
    ALERTPIPE_STATUS_ENDPOINT=0.0.0.0:13133 \
    ALERTPIPE_STATE=sqlite:/var/lib/alertpipe/state.db
EXPOSE 4318 13133

# The node image's unprivileged user, numeric so Kubernetes' runAsNonRoot can check it.
USER 1000:1000
WORKDIR /etc/alertpipe

# Ready = the pipeline runs and its state store answers; the port follows ALERTPIPE_STATUS_ENDPOINT.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "const port = (process.env.ALERTPIPE_STATUS_ENDPOINT || ':13133').split(':').pop(); fetch('http://127.0.0.1:' + port + '/-/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# SIGTERM (docker stop) flushes held alerts and pending deliveries, then exits 0.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "/opt/alertpipe/dist/src/cli.js"]
CMD ["run"]
