/**
 * On WASM, onnxruntime-web computes inside the worker's own thread and its promises settle as
 * microtasks, so a decode loop never returns to the event loop: `cancel` messages would wait
 * until the run ends and the token flush timer would never fire. Yielding one macrotask after
 * each forward pass lets both run between steps, at a cost of well under a millisecond. After,
 * not before: a cancel that arrives during a pass is seen by the loop's next check, with no
 * further pass run for a request already stopped.
 */
import type { CausalLM } from '../../src/core/model/types';

const channel = new MessageChannel();
const waiting: Array<() => void> = [];
channel.port1.onmessage = () => waiting.shift()?.();

/** Resolves after one turn of the event loop (MessageChannel: setTimeout is clamped to ≥ 4 ms). */
export function nextTask(): Promise<void> {
  return new Promise((resolve) => {
    waiting.push(resolve);
    channel.port2.postMessage(null);
  });
}

export function yieldingModel(model: CausalLM): CausalLM {
  return new Proxy(model, {
    get(target, key, receiver) {
      if (key === 'forward') {
        return async (...args: Parameters<CausalLM['forward']>) => {
          const output = await target.forward(...args);
          await nextTask();
          return output;
        };
      }
      const value = Reflect.get(target, key, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
