// The few parts of autocannon's API the receiver benchmark uses (the package ships no types).
declare module 'autocannon' {
  export interface AutocannonRequest {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: Buffer | string;
    setupRequest?: (req: AutocannonRequest, context: object) => AutocannonRequest | undefined;
    onResponse?: (status: number, body: string, context: object) => void;
  }
  export interface AutocannonOptions {
    url: string;
    connections?: number;
    amount?: number;
    duration?: number;
    timeout?: number;
    method?: string;
    headers?: Record<string, string>;
    requests?: AutocannonRequest[];
  }
  export interface Histogram {
    readonly p50: number;
    readonly p90: number;
    readonly p99: number;
    readonly max: number;
    readonly average: number;
  }
  export interface AutocannonResult {
    readonly latency: Histogram;
    readonly requests: Histogram & { readonly total: number; readonly sent: number };
    readonly errors: number;
    readonly timeouts: number;
    readonly non2xx: number;
    readonly resets: number;
    readonly duration: number;
    readonly statusCodeStats: Record<string, { count: number }>;
    readonly '2xx': number;
  }
  export interface Instance {
    stop(): void;
  }
  function autocannon(
    opts: AutocannonOptions,
    cb: (err: Error | null, result: AutocannonResult) => void,
  ): Instance;
  export default autocannon;
}
