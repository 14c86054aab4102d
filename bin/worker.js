// Worker-thread entry: runs a TypeScript module through tsx, as bin/docker-timeline.js does for the main thread.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.module);
