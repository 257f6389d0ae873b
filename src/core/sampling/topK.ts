/**
 * Top-k: keeps the k most likely tokens. Ties at the k-th place go to the lower token id, so
 * exactly k tokens survive and the same logits always give the same set.
 *
 * A min-heap of the k best positions seen so far, in one pass: most tokens lose to the heap's
 * worst with one comparison, so the pass costs about as much as reading the logits. Only the k
 * winners are sorted. The set comes out sorted (descending logit).
 */
import { compareDescending, gatherInOrder, setShrunk } from './candidates';
import type { CandidateSet } from './types';
import { checkStageParameter } from './validate';

export function topK(c: CandidateSet, k: number): void {
  checkStageParameter('top_k', k);
  const n = c.size;
  if (k >= n) return;
  if (c.sorted) {
    setShrunk(c, k);
    return;
  }
  const logits = c.logits;
  const ids = c.ids;
  const heap = c.order;
  for (let i = 0; i < k; i++) heap[i] = i;
  for (let i = (k >> 1) - 1; i >= 0; i--) siftDown(heap, k, i, logits, ids);
  let worstLogit = logits[heap[0]];
  let worstId = ids[heap[0]];
  for (let i = k; i < n; i++) {
    const x = logits[i];
    if (x < worstLogit) continue;
    if (x > worstLogit || ids[i] < worstId) {
      heap[0] = i;
      siftDown(heap, k, 0, logits, ids);
      worstLogit = logits[heap[0]];
      worstId = ids[heap[0]];
    }
  }
  heap.subarray(0, k).sort((a, b) => compareDescending(logits[a], logits[b], ids[a], ids[b]));
  gatherInOrder(c, k);
  c.sorted = true;
}

/** Heap order: the worst kept position (lowest logit, then highest id) at the root. */
function worse(a: number, b: number, logits: Float32Array, ids: Int32Array): boolean {
  const la = logits[a];
  const lb = logits[b];
  return la < lb || (la === lb && ids[a] > ids[b]);
}

function siftDown(heap: Int32Array, size: number, from: number, logits: Float32Array, ids: Int32Array): void {
  let i = from;
  const item = heap[i];
  for (;;) {
    const left = 2 * i + 1;
    if (left >= size) break;
    const right = left + 1;
    const child = right < size && worse(heap[right], heap[left], logits, ids) ? right : left;
    if (!worse(heap[child], item, logits, ids)) break;
    heap[i] = heap[child];
    i = child;
  }
  heap[i] = item;
}

export function topKLabel(k: number): string {
  return `top_k(${k})`;
}
