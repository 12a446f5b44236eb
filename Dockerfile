# Sigfed image: one image, two roles (api and worker), chosen by the command.
# Not exercised by CI (no Docker engine on the build machines); kept simple.
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:22-bookworm-slim
ENV NODE_ENV=production DATA_DIR=/data
# Memory settings of every server process (docs/operations.md#memory); the same
# as apps/cli/src/commands/serve.flags.ts, which serve.flags.spec.ts checks.
ENV MALLOC_ARENA_MAX=2
WORKDIR /app
RUN mkdir -p /data && chown node:node /data
COPY --from=build --chown=node:node /app/package.json ./
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --from=build --chown=node:node /app/prisma ./prisma
USER node
EXPOSE 3000
# The worker: the same command with dist/apps/worker/src/main.js.
CMD ["node", "--max-old-space-size=768", "--max-semi-space-size=8", "--liftoff-only", "dist/apps/api/src/main.js"]
