import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Two cores: keep end-to-end suites (spawned CLIs, servers) from starving each other.
    maxWorkers: 2,
  },
});
