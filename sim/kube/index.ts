export { startKubeApi, type KubeApiOptions, type KubeApiSim } from './api-server.js';
export {
  startKubeManager,
  installerScript,
  type KubeManager,
  type KubeManagerOptions,
} from './manager.js';
export { generateClusterPki, type ClusterPki } from './pki.js';
