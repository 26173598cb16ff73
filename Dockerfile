# The kitty-github App as an image: Node 24, git, a non-root user, tini as PID 1, `node dist/app.js`.
# Not built in this repository's CI (no Docker engine there); test/app/deploy-files.test.ts checks
# what can be checked without one: the stages, the entrypoint, the port, the files copied.
#   docker build -t kitty-github-app . && docker run -e APP_ID=… -e PRIVATE_KEY_PATH=… -p 3000:3000 kitty-github-app

FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# No install scripts: the `node` devDependency would download a second Node; esbuild finds its binary
# through its optional platform package without one.
RUN npm ci --ignore-scripts
COPY tsconfig.json ./
COPY scripts/build.mjs scripts/build.mjs
COPY src src
# Called directly, not through `npm run`, so the image's Node runs it (not node_modules/.bin/node).
RUN node scripts/build.mjs

FROM node:24-bookworm-slim
# git: the first clone of a repository's cache; tini: PID 1, so signals reach node and zombies are
# reaped, and node is never PID 1 itself (a stale cache lock of a dead PID 1 looked alive, F7).
RUN apt-get update \
  && apt-get install -y --no-install-recommends git tini ca-certificates \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production \
  HOST=0.0.0.0 \
  PORT=3000 \
  LOG_FORMAT=json \
  KITTY_CACHE_DIR=/var/cache/kitty
COPY package.json package-lock.json ./
# dist/app.js keeps Probot and prom-client external (scripts/build.mjs): they load from node_modules.
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
# The whole folder: app.js loads its code-split chunks (dist/chunks/) on demand.
COPY --from=build /src/dist dist
RUN mkdir -p /var/cache/kitty && chown node:node /var/cache/kitty
# The official image's unprivileged user (uid 1000).
USER node
EXPOSE 3000
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/app.js"]
