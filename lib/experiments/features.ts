/** How an experiment turns a track into examples: lib/features/spec, the one feature vocabulary. */
export * from '../features/spec';
