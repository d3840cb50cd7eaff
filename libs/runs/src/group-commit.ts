/**
 * Coalesces concurrent calls into batches (application-level group commit). A call joins the
 * queue; when no batch is in flight, the queue leaves at once (an idle service adds no latency).
 * While batches are in flight and fewer than `concurrency`, the next one waits up to `lingerMs`
 * for `maxBatch` calls to gather, then leaves with what it has. So a busy service writes what
 * arrives in a millisecond or two together, and a batch's fixed costs (its transaction, its
 * commit's flush, its statements and triggers) are shared by every call in it. Each call is
 * answered when its batch has committed (or failed).
 */
export class GroupCommit<T, R> {
  private readonly queue: {
    item: T;
    since: number;
    resolve: (result: R) => void;
    reject: (error: unknown) => void;
  }[] = [];
  private inFlight = 0;
  private itemsInFlight = 0;
  private lingering: NodeJS.Timeout | null = null;

  constructor(
    private readonly write: (items: T[]) => Promise<R[]>,
    private readonly options: {
      maxBatch: number;
      concurrency: number;
      lingerMs: number;
      /** A call that waited longer for its batch is not written: it fails with `expired()`. */
      maxWaitMs?: number;
      expired?: () => unknown;
    },
  ) {}

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, since: Date.now(), resolve, reject });
      this.drain();
    });
  }

  /** Calls waiting for a batch. */
  get waiting(): number {
    return this.queue.length;
  }

  /** Calls not answered yet: waiting, or in a batch in flight. */
  get pending(): number {
    return this.queue.length + this.itemsInFlight;
  }

  /** `waited`: the queue has waited for a batch to end already, so it leaves without lingering. */
  private drain(waited = false): void {
    while (this.inFlight < this.options.concurrency && this.queue.length > 0) {
      const full = this.queue.length >= this.options.maxBatch;
      if (this.inFlight > 0 && !full && !waited && this.options.lingerMs > 0) {
        // Busy: let the batch gather for a moment (once), unless it is full already.
        this.lingering ??= setTimeout(() => {
          this.lingering = null;
          this.flush();
          this.drain();
        }, this.options.lingerMs);
        return;
      }
      this.flush();
    }
  }

  /** Fails the calls that waited longer than `maxWaitMs`, unwritten. */
  private expire(): void {
    const { maxWaitMs, expired } = this.options;
    if (maxWaitMs === undefined || !expired) return;
    const oldest = Date.now() - maxWaitMs;
    while (this.queue.length > 0 && this.queue[0].since < oldest) this.queue.shift()!.reject(expired());
  }

  private flush(): void {
    if (this.queue.length === 0) return;
    if (this.lingering) {
      clearTimeout(this.lingering);
      this.lingering = null;
    }
    this.expire();
    const batch = this.queue.splice(0, this.options.maxBatch);
    if (batch.length === 0) return;
    this.inFlight++;
    this.itemsInFlight += batch.length;
    void this.write(batch.map((entry) => entry.item))
      .then(
        (results) => batch.forEach((entry, i) => entry.resolve(results[i])),
        (error: unknown) => batch.forEach((entry) => entry.reject(error)),
      )
      .finally(() => {
        this.inFlight--;
        this.itemsInFlight -= batch.length;
        this.drain(true);
      });
  }
}
