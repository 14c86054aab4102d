import type { Extractor } from './extractor.js';
import { containerConfig } from './container-config.js';
import { hostConfig } from './hostconfig.js';
import { jsonFileLog } from './json-file-log.js';
import { localLog } from './local-log.js';
import { containerFiles } from './container-files.js';
import { imageConfig } from './image-config.js';
import { imageMetadata } from './image-metadata.js';
import { repositories } from './repositories.js';
import { layerdb } from './layerdb.js';
import { tarSplit } from './tar-split.js';
import { layerFiles } from './layer-files.js';
import { aufsLayers } from './aufs-layers.js';
import { graphLayer, legacyRepositories } from './graph-layer.js';
import { unreadArtifacts } from './unread-artifacts.js';
import { ociBlob } from './oci-layout.js';
import { distribution } from './distribution.js';
import { saveManifest } from './save-manifest.js';
import { saveLayer } from './save-layer.js';
import { exportMarker, exportFiles } from './export-files.js';
import { volumeMetadata } from './volume-metadata.js';
import { volumeFiles } from './volume-files.js';
import { linkgraph, linkgraphJournal } from './linkgraph.js';
import { devicemapperMetadata } from './devicemapper-metadata.js';
import { devicemapperPool } from './devicemapper-pool.js';

/** Every artifact docker-timeline reads. Add an extractor here and it runs. */
export const EXTRACTORS: readonly Extractor<any>[] = [
  containerConfig,
  hostConfig,
  jsonFileLog,
  localLog,
  containerFiles,
  imageConfig,
  imageMetadata,
  repositories,
  layerdb,
  tarSplit,
  layerFiles,
  aufsLayers,
  graphLayer,
  legacyRepositories,
  unreadArtifacts,
  ociBlob,
  distribution,
  saveManifest,
  saveLayer,
  exportMarker,
  exportFiles,
  volumeMetadata,
  volumeFiles,
  linkgraph,
  linkgraphJournal,
  devicemapperMetadata,
  devicemapperPool,
];
