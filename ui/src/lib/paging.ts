// The document list in windows: the engine returns the rows from an offset and the length of
// the whole list, so only what is on screen (and a page either side) ever crosses from it.

import type { DocumentPage, DocumentSummary } from "./types";

export const PAGE_SIZE = 100;

/** Asks the engine for `limit` rows from `offset`, with the whole list's length. */
export type FetchPage = (offset: number, limit: number) => Promise<DocumentPage>;

export class PagedRows {
  /** The whole list's length, as the last page read said. */
  total = 0;
  private pages = new Map<number, DocumentSummary[]>();
  private loading = new Set<number>();

  constructor(
    private readonly fetch: FetchPage,
    private readonly onchange: () => void,
    private readonly onerror: (error: unknown) => void = () => {},
  ) {}

  /** Reads the first page: the count and the top rows, before the list is shown. */
  async start(): Promise<void> {
    await this.load(0);
  }

  /** The row at `index`, or undefined while its page is on its way. */
  row(index: number): DocumentSummary | undefined {
    return this.pages.get(Math.floor(index / PAGE_SIZE))?.[index % PAGE_SIZE];
  }

  /** Asks for the pages holding rows `start` to `end` (exclusive) that are not here yet. */
  ensure(start: number, end: number): void {
    const last = Math.min(end, this.total) - 1;
    for (let page = Math.floor(Math.max(start, 0) / PAGE_SIZE); page <= Math.floor(last / PAGE_SIZE); page++) {
      if (!this.pages.has(page) && !this.loading.has(page)) {
        this.load(page).catch(this.onerror);
      }
    }
  }

  private async load(page: number): Promise<void> {
    this.loading.add(page);
    try {
      const result = await this.fetch(page * PAGE_SIZE, PAGE_SIZE);
      this.total = result.total;
      this.pages.set(page, result.documents);
      this.onchange();
    } finally {
      this.loading.delete(page);
    }
  }
}
