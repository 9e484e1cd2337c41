/**
 * Stands in for `sharp` in the image bundle: transformers.js imports it for image pipelines, which
 * a text-embedding service never runs. Leaving it out saves ~20 MB of native libraries (libvips,
 * and the libresolv it needs) in the image.
 */
export default function sharp(): never {
  throw new Error('image processing is not available in the embeddings service');
}
