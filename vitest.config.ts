import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Property tests print their seed on failure; pin it with FC_SEED to replay.
    reporters: process.env.CI ? ['default'] : ['default'],
  },
});
