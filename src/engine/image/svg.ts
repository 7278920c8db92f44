// SVG is a drawing, not a photo: sharp would rasterize it in Node while the page's sniffing refuses it, so
// the CLI and the page would disagree (issue 15). Both refuse it, with this one message.

/** What both the page and the engine say about an SVG file, after its name. */
export const SVG_REFUSED = 'SVG drawings are not accepted: the model reads photos (JPEG, PNG, WebP, GIF, BMP or AVIF); export it as PNG first';

/** Whether a file's first bytes (a few hundred are enough) are an SVG document: `<svg`, maybe after an XML declaration, comments or a doctype. */
export function looksLikeSvg(bytes: Uint8Array): boolean {
  const head = new TextDecoder().decode(bytes.subarray(0, 1024)).replace(/^\uFEFF/, '');
  return /^\s*(<\?xml[^>]*>\s*)?(<!--[\s\S]*?-->\s*|<!DOCTYPE[^>]*>\s*)*<svg[\s>]/i.test(head);
}
