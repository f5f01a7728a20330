// Zoom for the document viewer: steps between 25 % and 400 %, and the pixel size a PDF page is
// rendered at for a zoom level (sharp on high-density screens, never above what poppler allows).

export const MIN_ZOOM = 0.25;
export const MAX_ZOOM = 4;
export const ZOOM_STEP = 1.25;
/** The long side the back end renders at most (A4 at 300 DPI). */
export const MAX_RENDER_PIXELS = 3508;

export function zoomBy(zoom: number, factor: number): number {
  return Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, zoom * factor));
}

/**
 * Pixels on the page's long side for a panel `panelWidth` CSS pixels wide. At zoom 1 the page
 * fills the panel's width; pages are portrait, so the long side is about √2 times the width.
 * Rounded up to a multiple of 64 so small resizes do not re-render.
 */
export function renderSize(panelWidth: number, zoom: number, pixelRatio: number): number {
  const wanted = panelWidth * zoom * pixelRatio * Math.SQRT2;
  return Math.min(MAX_RENDER_PIXELS, Math.max(256, Math.ceil(wanted / 64) * 64));
}
