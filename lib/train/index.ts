/** Training: fit loop, losses, optimizers, schedulers, seeded runs, checkpoints. */
export * from './data';
export * from './evaluate';
export * from './fit';
export * from './history';
export * from './losses';
export * from './optimizers';
export * from './random';
export * from './schedulers';
export * from './checkpoint';
