# syntax=docker/dockerfile:1
#
# Production image of the Capsules API.
#
#   docker build -t capsules-api .
#   docker run --rm -p 8080:8080 -e DATABASE_URL=postgres://… -e API_KEYS=ops:admin:… capsules-api
#
# The image needs an external PostgreSQL (DATABASE_URL): it does not carry the
# embedded-postgres binaries. It does not migrate at boot (MIGRATE_ON_BOOT=false);
# run the migrations as a separate step (a Kubernetes Job, a Cloud Run Job, or
# `docker run … capsules-api node dist/apps/api/src/migrate.js`) before the new
# version takes traffic: /health/ready stays 503 until every migration is applied.
#
# scripts/image-replay.sh replays these stages outside Docker (same COPY and
# npm commands, read from this file) and runs the result against PostgreSQL;
# scripts/lint-dockerfile.mjs lints this file.

# Node.js 22 LTS: production dependencies (nestjs-pino 5, cookie 2, file-type 22)
# declare node >= 22; package.json engines allow ^22.12.
ARG NODE_IMAGE=node:22-bookworm-slim

# ---- base: the npm that wrote package-lock.json (the node:22 image ships npm 10).
FROM ${NODE_IMAGE} AS base
ARG NPM_VERSION=11.19.1
RUN npm install --global "npm@${NPM_VERSION}" --no-audit --no-fund && npm cache clean --force
WORKDIR /app

# ---- build: every dependency, then tsc (nest build) into dist/.
# --ignore-scripts: no install script is needed to compile. package.json
# allowScripts only lets the embedded-postgres platform packages link their
# binaries, which the build does not use.
FROM base AS build
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY nest-cli.json tsconfig.json tsconfig.build.json ./
COPY apps ./apps
COPY libs ./libs
COPY migrations ./migrations
RUN npm run build

# ---- deps: production dependencies only, from the lockfile.
# --omit=optional drops the embedded-postgres platform binaries (~60 MB) and
# pg-cloudflare; --ignore-scripts skips their install scripts and any other
# (e.g. @scarf/scarf telemetry). The image therefore cannot start the embedded
# server: without DATABASE_URL the app stops at boot and says to set it.
FROM base AS deps
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund && npm cache clean --force

# ---- runtime: node, production node_modules and dist; no npm, yarn or corepack.
FROM ${NODE_IMAGE} AS runtime
RUN rm -rf /usr/local/lib/node_modules /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack \
    /usr/local/bin/yarn /usr/local/bin/yarnpkg /opt/yarn-*
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    MIGRATE_ON_BOOT=false
WORKDIR /app
# Owned by root and read-only to the app user: the app writes nothing to disk
# when DATABASE_URL is set, so the root file system can be mounted read-only
# (Kubernetes mounts an emptyDir at /tmp all the same).
COPY package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The image's `node` user, numeric so that Kubernetes can check runAsNonRoot.
USER 1000:1000
EXPOSE 8080
# Liveness only (never touches the database). Kubernetes and Cloud Run ignore
# HEALTHCHECK and use their own probes (deploy/).
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Migrations: node dist/apps/api/src/migrate.js (same image, same DATABASE_URL).
# SIGTERM: readiness turns 503, in-flight requests drain (SHUTDOWN_DRAIN_MS), exit 0.
CMD ["node", "--max-old-space-size=160", "dist/apps/api/src/main.js"]
