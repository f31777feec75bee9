/**
 * How many times, and how far apart, a request to Azure (ARM, Entra ID) is tried again when the
 * service throttles (429) or fails (5xx, network errors): after the answer's Retry-After when it
 * has one, else with exponential backoff from 250 ms, jittered, at most 4 s apart.
 *
 * Eight retries ride out a service failing 30% of requests (a request fails only after 9 faults in
 * a row: 0.3^9 ≈ 2e-5), and bound what a dead service costs: about 13 s of backoff, or 8 waits of
 * its Retry-After, then its last answer becomes the error.
 */
export const RETRY = { maxRetries: 8, retryDelayInMs: 250, maxRetryDelayInMs: 4000 } as const;
