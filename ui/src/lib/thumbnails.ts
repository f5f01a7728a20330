// Thumbnails for the document list: decrypted by the back end (which caches them encrypted in
// the vault) and shown through object URLs. The URLs are the only decrypted thing this module
// keeps; `clearThumbnails` revokes every one of them when the vault locks.

export type ThumbnailLoader = (id: string) => Promise<Uint8Array>;

/** At most this many thumbnails stay in memory; the oldest are revoked first. */
export const MAX_THUMBNAILS = 300;

const urls = new Map<string, string | null>();
const pending = new Map<string, Promise<string | null>>();
let generation = 0;

/** The object URL of a document's thumbnail, or null when its file has no picture. */
export async function thumbnailUrl(id: string, load: ThumbnailLoader): Promise<string | null> {
  if (urls.has(id)) {
    // Refresh its place: recently shown thumbnails are kept longest.
    const url = urls.get(id)!;
    urls.delete(id);
    urls.set(id, url);
    return url;
  }
  const waiting = pending.get(id);
  if (waiting) return waiting;
  const mine = generation;
  const loading = load(id)
    .then((bytes) => {
      // A lock while loading: do not bring decrypted pixels back.
      if (mine !== generation) return null;
      const url = bytes.length > 0 ? URL.createObjectURL(new Blob([bytes as BlobPart], { type: "image/jpeg" })) : null;
      urls.set(id, url);
      evict();
      return url;
    })
    .finally(() => pending.delete(id));
  pending.set(id, loading);
  return loading;
}

function evict() {
  while (urls.size > MAX_THUMBNAILS) {
    const [oldest, url] = urls.entries().next().value!;
    if (url) URL.revokeObjectURL(url);
    urls.delete(oldest);
  }
}

/** Revokes every thumbnail URL (on lock); loads still running are discarded. */
export function clearThumbnails() {
  generation++;
  for (const url of urls.values()) if (url) URL.revokeObjectURL(url);
  urls.clear();
  pending.clear();
}

/** How many decrypted thumbnails are held (for tests and the lock check). */
export function heldThumbnails(): number {
  return [...urls.values()].filter(Boolean).length;
}
