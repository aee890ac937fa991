/** Evaluation: classification report, confusion matrix, multi-label average precision, TTA. */
export * from './classification';
export * from './average_precision';
export * from './tta';
