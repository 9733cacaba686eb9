/**
 * onnxruntime execution providers as plain data: the names a user may ask for and how to install the
 * GPU ones. Nothing here loads onnxruntime, so the CLI's option parsing and the train config's schema
 * use it without starting onnxruntime (`lamer --help` stays fast).
 */

/** Every onnxruntime execution provider a session may ask for. */
export const EXECUTION_PROVIDERS = ['cpu', 'cuda', 'webgpu'] as const;
/** onnxruntime execution provider a session asks for (one of {@link EXECUTION_PROVIDERS}). */
export type ExecutionProvider = (typeof EXECUTION_PROVIDERS)[number];

const INSTALL_HINT: Record<Exclude<ExecutionProvider, 'cpu'>, string> = {
  cuda:
    'install the CUDA provider (README, "Install notes"): on a machine with CUDA 12.x and cuDNN 9.x, ' +
    'remove `"onnxruntime-node": false` from `allowScripts` in package.json and run ' +
    '`ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node`',
  webgpu: 'the WebGPU provider needs a real GPU with a Vulkan driver (software Vulkan does not work)',
};

/**
 * Session settings for a provider a user asked for: a GPU provider never falls back to CPU (a missing
 * one fails with how to install it); `cpu` or none is onnxruntime's default and adds nothing.
 */
export function strictProviderSettings(provider: ExecutionProvider | undefined): {
  provider?: ExecutionProvider;
  fallbackToCpu?: false;
} {
  return provider !== undefined && provider !== 'cpu' ? { provider, fallbackToCpu: false } : {};
}

/** How to make a GPU provider available, as a clause that follows "To use it, ". */
export function providerInstallHint(provider: Exclude<ExecutionProvider, 'cpu'>): string {
  return INSTALL_HINT[provider];
}
