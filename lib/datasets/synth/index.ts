/**
 * The generator's synthesiser: a small procedural band (instruments.ts: styles, scales, voices,
 * drum kit) and `renderClip` (render.ts), which plays one clip of a style.
 */
export * from './instruments';
export { renderClip } from './render';
