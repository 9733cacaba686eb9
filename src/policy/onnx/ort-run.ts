/**
 * onnxruntime runs in the generation worker: the weights wrapped as `ort.Tensor`s once per
 * `setWeights` (not once per run), feeds built straight as tensors over the worker's own buffers
 * (views are fine: onnxruntime reads from the view's offset), and the time of each run added to
 * the batch's profile.
 */
import * as ort from 'onnxruntime-node';
import type { WeightTensor, WorkerProfile } from './protocol.js';

export type OrtFeeds = Record<string, ort.Tensor>;

export const f32 = (data: Float32Array, dims: readonly number[]) => new ort.Tensor('float32', data, dims);
export const i64 = (data: BigInt64Array, dims: readonly number[]) => new ort.Tensor('int64', data, dims);
export const f64 = (data: Float64Array, dims: readonly number[]) => new ort.Tensor('float64', data, dims);

/** The name of layer tensor `j` (keys at even j, values at odd) of a cache input or output: `past_key_values.0.key`, `present.0.value`, `new.1.key`, ... */
export const kvName = (io: 'past_key_values' | 'present' | 'new', j: number) =>
  `${io}.${j >> 1}.${j % 2 === 0 ? 'key' : 'value'}`;

/** A session and the weight tensors it takes as inputs. */
export class WeightedSession {
  private weights: OrtFeeds = {};

  constructor(readonly session: ort.InferenceSession) {}

  /** Wrap the weights this session takes (the arrays are the worker's own copies). */
  setWeights(all: Record<string, WeightTensor>): void {
    this.weights = {};
    for (const name of this.session.inputNames) {
      const w = all[name];
      if (w !== undefined) this.weights[name] = f32(w.data, w.dims);
    }
  }

  /**
   * Run with `feeds` and the weights; the run's wall time goes to `prof.runMs` when given. `fetches`:
   * the outputs to return (the others are not), by name or as preallocated tensors that onnxruntime
   * fills in place; without it, every output. onnxruntime-node returns each fetched output in a new
   * buffer, preallocated or not, and V8 counts those bytes towards its next full GC: fetch only what
   * is read.
   */
  async run(
    feeds: OrtFeeds,
    prof?: WorkerProfile,
    fetches?: OrtFeeds | readonly string[],
  ): Promise<ort.InferenceSession.OnnxValueMapType> {
    Object.assign(feeds, this.weights);
    const t0 = performance.now();
    const out = await (fetches ? this.session.run(feeds, fetches) : this.session.run(feeds));
    if (prof) prof.runMs += performance.now() - t0;
    return out;
  }

  release(): Promise<void> {
    return this.session.release();
  }
}
