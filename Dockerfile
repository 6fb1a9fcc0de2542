# efsink serve: the Firehose HTTP endpoint receiver (docs/specs/firehose-http.md).
#
#   docker build -t efsink .
#   docker run --rm -p 8080:8080 -v /mnt/efs:/mnt/efs -e EFSINK_ACCESS_KEY=... efsink
#
# Configuration is by environment (EFSINK_ROOT, EFSINK_ACCESS_KEY, EFSINK_ACCESS_KEYS, EFSINK_LOG_GROUP,
# EFSINK_PATH_TEMPLATE, EFSINK_PORT, …) or by arguments after the image name (`serve --root DIR …`);
# a flag wins over its variable. Mount EFS (or any directory) at EFSINK_ROOT. The process runs as
# the unprivileged `node` user (uid/gid 1000): give the EFS access point that POSIX user, or a
# directory it can write. SIGTERM drains in-flight requests and runs a final assembly pass, so give
# the container a stop timeout longer than EFSINK_SHUTDOWN_TIMEOUT_SECONDS (default 60).
# Not built in CI here (no Docker on the build machine).
#
# NODE_MAJOR is the Node.js major of both stages: 22, the version the tests and CI run on (and the
# Lambda default); `--build-arg NODE_MAJOR=24` builds on 24, as the constructs' `nodeVersion: 24` does.
ARG NODE_MAJOR=22

# ---- build: compile TypeScript (dev dependencies needed only here) ----
FROM node:${NODE_MAJOR}-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would run the full build (Lambda bundles, benchmarks) before sources exist.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npx tsc -p tsconfig.build.json

# ---- runtime: production dependencies + compiled JavaScript only ----
FROM node:${NODE_MAJOR}-slim AS runtime
# UV_THREADPOOL_SIZE: every fs call holds a pool thread for its NFS round trip; the default 4 was
# the receiver's real concurrency on EFS (src/config/threadpool.ts).
ENV NODE_ENV=production \
    UV_THREADPOOL_SIZE=64 \
    EFSINK_HOST=0.0.0.0 \
    EFSINK_PORT=8080 \
    EFSINK_ROOT=/mnt/efs
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY bin ./bin
COPY --from=build /app/dist/src ./dist/src
RUN mkdir -p /mnt/efs && chown node:node /mnt/efs
USER node
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.EFSINK_PORT}/healthz`).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "bin/efsink"]
CMD ["serve"]
