# One image for the api, worker and simulators services of docker-compose.yml.
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only: the `drops` CLI loads no devDependency (the benchmarks have
# their own entry point, bin/bench.js); test/install/production-install.test.ts checks it.
RUN npm ci --omit=dev --no-audit --no-fund
COPY . .
ENTRYPOINT ["node", "bin/drops.js"]
