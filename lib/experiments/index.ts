/** Experiments: configs (registry), data preparation, and the runner behind `genre-lab train`. */
export * from './types';
export * from './features';
export * from './registry';
export * from './run';
export * from './resolve';
export * from './examples';
