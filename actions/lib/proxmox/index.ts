// The Proxmox VE client: transports (HTTPS, SSH/pvesh), typed calls, tasks, retries.
export * from './api-types.js';
export * from './client.js';
export * from './clock.js';
export * from './config.js';
export * from './create-client.js';
export * from './errors.js';
export * from './fallback-transport.js';
export * from './https-transport.js';
export * from './limiter.js';
export * from './retry.js';
export * from './ssh-transport.js';
export * from './tasks.js';
export * from './transport.js';
export * from './upid.js';
export * from './vm-operations.js';
export * from './vmid-allocator.js';
export { shellQuote } from './shell-quote.js';
export { verifyHostKey, knownHostsName } from './known-hosts.js';
