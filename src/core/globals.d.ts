/**
 * The globals core may use: the few that Node, the panel and the worker all provide. Core's
 * tsconfig has no DOM, WebWorker or Node types, so any other global (`process`, `document`,
 * `window`, `require`, `Buffer`) fails to compile here. Add a name only if every runtime has it,
 * and only the members core calls.
 */
export {};

declare global {
  interface AbortSignal {
    readonly aborted: boolean;
  }

  interface Performance {
    now(): number;
  }
  var performance: Performance;

  interface Console {
    error(...data: unknown[]): void;
    warn(...data: unknown[]): void;
  }
  var console: Console;

  interface TextEncoder {
    encode(input?: string): Uint8Array;
  }
  var TextEncoder: { new (): TextEncoder };

  interface TextDecoder {
    decode(input?: ArrayBufferView | ArrayBuffer): string;
  }
  var TextDecoder: { new (label?: string, options?: { fatal?: boolean }): TextDecoder };
}
