# The Portcullis image `portcullis install` and the Helm chart run: the webhook in sensor mode
# (`webhook …`), or the control plane (`control-plane …`, `serve …`).
#   docker build -t ghcr.io/portcullis/portcullis:0.1.0 .
# Node 22, a maintained LTS: Node 20's support ended in April 2026, and a gate for vulnerable
# images must not ship a runtime scanners flag. CI runs the tests on both.
FROM node:22-bookworm-slim AS build
WORKDIR /src
# better-sqlite3 is built from source (no prebuilt downloads).
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts && npm rebuild better-sqlite3
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# The web UI, built by Vite into dist/ui (it takes the API's types and role groups from src).
COPY ui ./ui
RUN npm run build && npm prune --omit=dev

FROM node:22-bookworm-slim
WORKDIR /app
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./
COPY bin ./bin
# The UID the manifests run as (runAsNonRoot, read-only root filesystem; /tmp and the data
# directory are volumes).
USER 65532:65532
ENTRYPOINT ["node", "/app/bin/portcullis.js"]
CMD ["--help"]
