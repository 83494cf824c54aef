import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['shared/**/*.test.ts', 'daemon/**/*.test.ts', 'client/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration tests start real agents, IdPs and keyrings; two cores, so keep it modest.
    maxWorkers: 2,
    pool: 'forks',
  },
});
