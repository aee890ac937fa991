/** Every network of the five experiments; one file per family. */
export * from './summary';
export * from './lecture';
export * from './lstm';
export * from './cnn';
export * from './gru';
export * from './transformer';
export * from './attention';
export * from './nearestCentroid';
