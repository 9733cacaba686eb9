import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Property tests print their seed on failure; CI pins one (test/setup.ts), FC_SEED replays one.
    setupFiles: ['test/setup.ts'],
    // One scratch folder for the run's temporary files, removed at its end (test/global-setup.ts).
    globalSetup: ['test/global-setup.ts'],
  },
});
