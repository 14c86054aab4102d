import type { Extractor } from './extractor.js';
import { containerConfig } from './container-config.js';
import { hostConfig } from './hostconfig.js';
import { jsonFileLog } from './json-file-log.js';
import { localLog } from './local-log.js';
import { containerFiles } from './container-files.js';

/** Every artifact docker-timeline reads. Add an extractor here and it runs. */
export const EXTRACTORS: readonly Extractor<any>[] = [
  containerConfig,
  hostConfig,
  jsonFileLog,
  localLog,
  containerFiles,
];
