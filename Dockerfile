# The Redraft server image: `docker build -t redraft:0.1.0 .`
#
# Two stages on the same Debian slim Node image, so that native modules built or fetched in the
# first (classic-level's LevelDB binding, and the Merkle tree's SHA-256 from native/sha256.c)
# load in the second. The runtime stage holds only the
# compiled server, the .proto files it loads at start and the production dependencies, runs as
# an unprivileged user, and writes nothing outside its data directory: it works with a
# read-only root filesystem (the Helm chart mounts the data volume at /var/lib/redraft).

FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: the package's own `prepare` (a full build) needs the sources, copied below.
RUN npm ci --ignore-scripts --no-audit --no-fund && npm rebuild --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY cmd ./cmd
COPY src ./src
COPY native ./native
COPY scripts/build-native.mjs ./scripts/
# A C compiler for native/sha256.c (the slim image has none; the image's Node headers suffice).
RUN command -v cc >/dev/null || (apt-get update -qq \
      && apt-get install -y -qq --no-install-recommends gcc libc6-dev >/dev/null \
      && rm -rf /var/lib/apt/lists/*)
RUN npx tsc -p tsconfig.build.json && REDRAFT_REQUIRE_NATIVE=1 node scripts/build-native.mjs \
    && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json ./
COPY proto ./proto
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
RUN chmod 0755 dist/cmd/redraft.js && mkdir bin && ln -s ../dist/cmd/redraft.js bin/redraft
ENV PATH=/app/bin:$PATH REDRAFT_DATA_DIR=/var/lib/redraft
# The data directory, owned by the server's user so that an anonymous volume is writable too.
RUN mkdir -p /var/lib/redraft && chown 10001:10001 /var/lib/redraft
# A fixed numeric id: Kubernetes' runAsNonRoot can only verify a numeric user.
USER 10001:10001
VOLUME ["/var/lib/redraft"]
EXPOSE 6379 7000 8080 9090
ENTRYPOINT ["redraft"]
CMD ["server"]
